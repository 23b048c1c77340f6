"""Conv2D and MaxPool2D on (n, C, H, W), vectorised with im2col.

im2col turns a convolution into one matrix product: every k x k patch of the
(padded) input becomes a row of `cols`, so

    y[n, o, i, j] = sum_{c, u, v} W[o, c, u, v] * x_pad[n, c, s*i + u, s*j + v] + b[o]

is `cols @ W_mat.T`, which runs at the speed of BLAS. The backward pass is two
more products and col2im, which adds each patch's gradient back where the
patch came from.

Memory layout, for speed: inside a conv the image is channels-last
(n, H, W, C), and a row of `cols` is ordered (u, v, c), so building `cols` is
one copy out of a strided view of every patch, C contiguous values at a time,
and col2im is k*k additions of whole shifted images, instead of a scatter of
single pixels. The (n, C, H, W) arrays a conv returns are transposed views of
channels-last memory, which the next conv reads back without a copy.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from digitlab.nn.init import init_weight
from digitlab.nn.layers import Layer


def _out_size(size: int, k: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - k) // stride + 1


def im2col(x: np.ndarray, k: int, stride: int, padding: int) -> np.ndarray:
    """(n, C, H, W) -> cols (n, H_out, W_out, k, k, C): the patch under each output pixel."""
    n, c, h, w = x.shape
    ho, wo = _out_size(h, k, stride, padding), _out_size(w, k, stride, padding)
    x_pad = np.zeros((n, h + 2 * padding, w + 2 * padding, c), dtype=x.dtype)  # channels-last, zero border
    x_pad[:, padding:padding + h, padding:padding + w] = x.transpose(0, 2, 3, 1)
    # patch (i, j) starts at pixel (s*i, s*j) and steps one pixel per (u, v): a view, nothing copied yet
    sn, sh, sw, sc = x_pad.strides
    patches = as_strided(x_pad, (n, ho, wo, k, k, c), (sn, stride * sh, stride * sw, sh, sw, sc), writeable=False)
    return np.ascontiguousarray(patches)  # the one copy, C contiguous values at a time


def col2im(dcols_t: np.ndarray, x_shape, k: int, stride: int, padding: int) -> np.ndarray:
    """The adjoint of im2col: (k, k, C, n, H_out, W_out) -> (n, C, H, W), overlapping patches summed.

    It takes the patch gradients transposed (patch offset first), the layout in
    which each offset's contribution is one contiguous block.
    """
    n, c, h, w = x_shape
    ho, wo = dcols_t.shape[4:]
    dx_pad = np.zeros((c, n, h + 2 * padding, w + 2 * padding), dtype=dcols_t.dtype)
    for u in range(k):
        for v in range(k):
            dx_pad[:, :, u:u + stride * ho:stride, v:v + stride * wo:stride] += dcols_t[u, v]
    return dx_pad[:, :, padding:padding + h, padding:padding + w].transpose(1, 0, 2, 3)


class Conv2D(Layer):
    """y = W * x + b (cross-correlation, as every framework means by "convolution").

    W (out_c, in_c, k, k), b (out_c,); x (n, in_c, H, W) -> y (n, out_c, H_out, W_out)
    with H_out = (H + 2 padding - k) // stride + 1.
    """

    def __init__(self, in_channels, filters, kernel_size, stride=1, padding=0, init="he", rng=None,
                 dtype=np.float32):
        super().__init__()
        rng = rng or np.random.default_rng(0)
        k = kernel_size
        shape = (filters, in_channels, k, k)
        self.k, self.stride, self.padding = k, stride, padding
        w = init_weight(init, rng, shape, in_channels * k * k, filters * k * k, dtype)
        # W is (out_c, C, k, k) kept in (out_c, k, k, C) memory, so `_w_mat` is a view, not a copy per pass
        self._learn(weight=np.ascontiguousarray(w.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
                    bias=np.zeros(filters, dtype=dtype))

    def _w_mat(self) -> np.ndarray:
        """W as (out_c, k*k*C), its columns in the (u, v, c) order of a row of cols (a view of channels-last W)."""
        w = self.params["weight"]
        return w.transpose(0, 2, 3, 1).reshape(len(w), -1)

    def forward(self, x, training=False):
        cols = im2col(x, self.k, self.stride, self.padding)  # (n, Ho, Wo, k, k, C)
        n, ho, wo = cols.shape[:3]
        cols = cols.reshape(n * ho * wo, -1)  # (n*Ho*Wo, k*k*C)
        if training:
            self.x_shape, self.cols = x.shape, cols
        y = cols @ self._w_mat().T  # (n*Ho*Wo, out_c)
        y += self.params["bias"]
        return y.reshape(n, ho, wo, -1).transpose(0, 3, 1, 2)  # (n, out_c, Ho, Wo), a view

    def backward(self, dy):
        n, out_c, ho, wo = dy.shape
        dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, out_c)  # (n*Ho*Wo, out_c)
        w = self.params["weight"]
        dw_mat = dy_mat.T @ self.cols  # dL/dW = dy^T cols   (out_c, k*k*C)
        self.grads["weight"][...] = dw_mat.reshape(out_c, self.k, self.k, w.shape[1]).transpose(0, 3, 1, 2)
        dy_mat.sum(axis=0, out=self.grads["bias"])  # dL/db = sum over n, i, j
        if not self.input_grad:  # the first layer: nobody needs dL/dx, skip col2im
            return None
        # dL/dcols = dy W, computed transposed, (k*k*C, n*Ho*Wo) = W^T dy^T: BLAS is several times
        # faster with the long dimension last, and it is the layout col2im wants
        dcols_t = self._w_mat().T @ dy_mat.T
        c = self.x_shape[1]
        return col2im(dcols_t.reshape(self.k, self.k, c, n, ho, wo), self.x_shape, self.k, self.stride, self.padding)


class MaxPool2D(Layer):
    """y[n, c, i, j] = max of the pool x pool window at (s*i, s*j); the gradient goes to the argmax only.

    Windows that do not fit at the bottom/right edge are dropped (floor), as in torch.
    """

    def __init__(self, pool_size=2, stride=None):
        super().__init__()
        self.p = pool_size
        self.stride = stride or pool_size

    def _offsets(self, x_shape):
        """(u, v, slices) for each position inside a window: the strided view of x it reads."""
        s, (h, w) = self.stride, x_shape[2:]
        ho, wo = _out_size(h, self.p, s, 0), _out_size(w, self.p, s, 0)
        for u in range(self.p):
            for v in range(self.p):
                yield u * self.p + v, (slice(None), slice(None), slice(u, u + s * ho, s), slice(v, v + s * wo, s))

    def forward(self, x, training=False):
        windows = [x[window] for _, window in self._offsets(x.shape)]  # p*p strided views (n, C, Ho, Wo)
        y = functools.reduce(np.maximum, windows)  # y = max over the window, in x's memory order
        if training:  # argmax (n, C, Ho, Wo): which window position won; the first wins ties, as argmax does
            argmax = np.zeros(y.shape, dtype=np.int8)
            for index in range(len(windows) - 1, 0, -1):
                argmax[windows[index] == y] = index
            self.x_shape, self.argmax = x.shape, argmax
        return y

    def backward(self, dy):
        dx = np.zeros(self.x_shape, dtype=dy.dtype)
        for index, window in self._offsets(self.x_shape):
            # dL/dx = dy at the window's argmax, 0 elsewhere (summed where windows overlap)
            dx[window] += dy * (self.argmax == index)
        return dx
