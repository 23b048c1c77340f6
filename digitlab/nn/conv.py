"""Conv2D and MaxPool2D on (n, C, H, W), vectorised with im2col.

im2col turns a convolution into one matrix product: every k x k patch of the
(padded) input becomes a row of `cols`, so

    y[n, o, i, j] = sum_{c, u, v} W[o, c, u, v] * x_pad[n, c, s*i + u, s*j + v] + b[o]

is `cols @ W.reshape(out_c, -1).T`, which runs at the speed of BLAS. The
backward pass is two more products and col2im, which adds each patch's
gradient back where the patch came from (k*k strided slices, not a loop over
pixels).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from digitlab.nn.init import init_weight
from digitlab.nn.layers import Layer


def _patches(x_pad: np.ndarray, k: int, stride: int) -> np.ndarray:
    """A view (n, C, H_out, W_out, k, k) of every k x k window, `stride` apart."""
    return sliding_window_view(x_pad, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]


def im2col(x: np.ndarray, k: int, stride: int, padding: int) -> np.ndarray:
    """(n, C, H, W) -> cols (n*H_out*W_out, C*k*k), one row per output pixel."""
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x
    windows = _patches(x_pad, k, stride)  # (n, C, Ho, Wo, k, k)
    n, c, ho, wo = windows.shape[:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)


def col2im(dcols: np.ndarray, x_shape, k: int, stride: int, padding: int, out_hw) -> np.ndarray:
    """The adjoint of im2col: (n*Ho*Wo, C*k*k) -> (n, C, H, W), overlapping patches summed."""
    n, c, h, w = x_shape
    ho, wo = out_hw
    # (k, k, n, C, Ho, Wo), contiguous, so each patch offset below is one plain slice
    d = np.ascontiguousarray(dcols.reshape(n, ho, wo, c, k, k).transpose(4, 5, 0, 3, 1, 2))
    dx_pad = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=dcols.dtype)
    for u in range(k):
        for v in range(k):
            dx_pad[:, :, u:u + stride * ho:stride, v:v + stride * wo:stride] += d[u, v]
    return dx_pad[:, :, padding:padding + h, padding:padding + w]


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
        self.params = {"weight": init_weight(init, rng, shape, in_channels * k * k, filters * k * k, dtype),
                       "bias": np.zeros(filters, dtype=dtype)}

    def forward(self, x, training=False):
        n, _, h, w = x.shape
        ho = (h + 2 * self.padding - self.k) // self.stride + 1
        wo = (w + 2 * self.padding - self.k) // self.stride + 1
        self.x_shape, self.out_hw = x.shape, (ho, wo)
        self.cols = im2col(x, self.k, self.stride, self.padding)  # (n*Ho*Wo, C*k*k)
        w_mat = self.params["weight"].reshape(len(self.params["weight"]), -1)  # (out_c, C*k*k)
        y = self.cols @ w_mat.T + self.params["bias"]  # (n*Ho*Wo, out_c)
        return y.reshape(n, ho, wo, -1).transpose(0, 3, 1, 2)  # (n, out_c, Ho, Wo)

    def backward(self, dy):
        out_c = dy.shape[1]
        dy_mat = dy.transpose(0, 2, 3, 1).reshape(-1, out_c)  # (n*Ho*Wo, out_c)
        w_mat = self.params["weight"].reshape(out_c, -1)
        self.grads["weight"] = (dy_mat.T @ self.cols).reshape(self.params["weight"].shape)  # dL/dW = dy^T cols
        self.grads["bias"] = dy_mat.sum(axis=0)  # dL/db = sum over n, i, j
        if not self.input_grad:  # the first layer: nobody needs dL/dx, skip the costly col2im
            return None
        dcols = dy_mat @ w_mat  # dL/dcols = dy W   (n*Ho*Wo, C*k*k)
        return col2im(dcols, self.x_shape, self.k, self.stride, self.padding, self.out_hw)


class MaxPool2D(Layer):
    """y[n, c, i, j] = max of the pool x pool window at (s*i, s*j); the gradient goes to the argmax only.

    Windows that do not fit at the bottom/right edge are dropped (floor), as in torch.
    """

    def __init__(self, pool_size=2, stride=None):
        super().__init__()
        self.p = pool_size
        self.stride = stride or pool_size

    def forward(self, x, training=False):
        windows = _patches(x, self.p, self.stride)  # (n, C, Ho, Wo, p, p)
        n, c, ho, wo = windows.shape[:4]
        flat = windows.reshape(n, c, ho, wo, self.p * self.p)
        self.argmax = flat.argmax(axis=-1)  # (n, C, Ho, Wo): which of the p*p won
        self.x_shape = x.shape
        return np.take_along_axis(flat, self.argmax[..., None], axis=-1)[..., 0]

    def backward(self, dy):
        dx = np.zeros(self.x_shape, dtype=dy.dtype)
        ho, wo, s = dy.shape[2], dy.shape[3], self.stride
        for u in range(self.p):
            for v in range(self.p):
                # dL/dx = dy at the window's argmax, 0 elsewhere (summed where windows overlap)
                dx[:, :, u:u + s * ho:s, v:v + s * wo:s] += dy * (self.argmax == u * self.p + v)
        return dx
