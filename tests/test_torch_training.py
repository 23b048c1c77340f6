"""Training-loop guarantees: exact --resume, DDP in two processes, augmentation that keeps digits."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch engine needs PyTorch (pip install 'digitlab[torch]')")

from digitlab.nn import architecture as A
from digitlab.torch_engine import distributed
from digitlab.torch_engine.augment import PRESETS, Augment, augment_batch
from digitlab.torch_engine.build import build_module, get_weights
from digitlab.torch_engine.estimator import TorchNetClassifier
from digitlab.torch_engine.loop import TrainConfig, train_module

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y.astype(np.int64)


class Interrupted(Exception):
    pass


def _run(arch, X, y, cfg, **kwargs):
    torch.manual_seed(0)
    module = build_module(arch)
    history = train_module(module, torch.from_numpy(X).view(len(X), *arch["input_shape"]), torch.from_numpy(y),
                           cfg, torch.device("cpu"), **kwargs)
    return module, history


def test_resume_reproduces_the_uninterrupted_run_exactly(digits, tmp_path):
    X, y = digits[0][:512], digits[1][:512]
    arch = A.cnn((4, 8), 16, (1, 8, 8), 10, dropout=0.3, batchnorm=True)  # dropout + augment use both RNGs
    cfg = TrainConfig(epochs=3, batch_size=64, lr=3e-3, augment=PRESETS["elastic"], label_smoothing=0.1, seed=5)
    full, full_history = _run(arch, X, y, cfg)

    def stop_after_two(epoch, module):
        if epoch == 2:
            raise Interrupted

    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(Interrupted):
        _run(arch, X, y, cfg, checkpoint=ckpt, on_epoch=stop_after_two)
    torch.manual_seed(123)  # the resumed process starts from other random states: the checkpoint restores them
    resumed, history = _run(arch, X, y, cfg, checkpoint=ckpt, resume=True)
    assert [h["loss"] for h in history] == [h["loss"] for h in full_history]
    for name, w in get_weights(full).items():
        np.testing.assert_array_equal(get_weights(resumed)[name], w, err_msg=name)


def test_a_damaged_checkpoint_is_a_clear_error(digits, tmp_path):
    from digitlab.errors import DigitlabError

    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    arch = A.mlp((8,), "relu", (1, 8, 8), 10)
    with pytest.raises(DigitlabError, match="bad.ckpt"):
        _run(arch, *[a[:64] for a in digits], TrainConfig(epochs=1), checkpoint=bad, resume=True)
    good = tmp_path / "good.ckpt"
    _run(arch, *[a[:64] for a in digits], TrainConfig(epochs=1), checkpoint=good)
    with pytest.raises(DigitlabError, match="epochs 1 -> 2"):  # another schedule would give another model
        _run(arch, *[a[:64] for a in digits], TrainConfig(epochs=2), checkpoint=good, resume=True)
    with pytest.raises(DigitlabError, match="no checkpoint"):
        _run(arch, *[a[:64] for a in digits], TrainConfig(epochs=1), checkpoint=tmp_path / "nope", resume=True)


def test_two_processes_match_one_process_with_the_same_global_batch(digits):
    """DDP: each of 2 ranks takes half of every global batch of 64; the averaged gradient is the same."""
    X, y = digits[0][:256], digits[1][:256]
    params = {"architecture": "mlp", "hidden_layer_sizes": (32,), "batchnorm": False, "dropout": 0.0,
              "max_iter": 2, "batch_size": 64, "learning_rate_init": 0.05, "solver": "nesterov",
              "schedule": "cosine", "device": "cpu", "random_state": 0}
    single = TorchNetClassifier(**params).fit(X, y).get_weights()
    ranks, history = distributed.spawn_fit(TorchNetClassifier(**params, nproc=2), X, y, every_rank=True)
    assert len(history) == 2
    for name, w in single.items():
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name], err_msg=f"ranks differ at {name}")
        np.testing.assert_allclose(ranks[0][name], w, atol=1e-5, err_msg=name)  # float sums in another order


def test_affine_augmentation_keeps_the_digit_and_identity_is_exact():
    from sklearn.datasets import load_digits

    small = torch.from_numpy((load_digits().images[:64] / 16).astype(np.float32))[:, None]  # (64, 1, 8, 8)
    # MNIST-like: the digit in a 20x20 box centred in 28x28
    images = torch.nn.functional.pad(torch.nn.functional.interpolate(small, size=20, mode="bilinear"), (4,) * 4)
    gen = torch.Generator().manual_seed(0)
    none = Augment(rotation=0, shift=0, scale=(1, 1), shear=0)
    torch.testing.assert_close(augment_batch(images, none, gen), images, atol=1e-6, rtol=0)
    for preset, low, high in (("affine", 0.75, 1.3), ("elastic", 0.5, 1.7)):
        warped = augment_batch(images, PRESETS[preset], gen)
        assert warped.shape == images.shape and not torch.equal(warped, images)
        # the warp moves ink but keeps it on the canvas: affine scale 0.9-1.1 changes the area by ~20%,
        # elastic fields (~1.4 px) stretch and squeeze strokes locally
        ratio = warped.sum((1, 2, 3)) / images.sum((1, 2, 3))
        assert ((ratio > low) & (ratio < high)).all(), (preset, ratio.min(), ratio.max())
