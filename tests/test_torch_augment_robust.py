"""The `robust` augmentation: each corruption against what it claims, the preset's contract, the CLI flag."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch engine needs PyTorch (pip install 'digitlab[torch]')")

from digitlab.cli import main
from digitlab.torch_engine import corrupt
from digitlab.torch_engine.corrupt import CORRUPTIONS
from digitlab.torch_engine.robust_augment import FAMILIES, PRESETS, Robust, robust_batch

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def digits28():
    """(64, 1, 28, 28) float32: scikit-learn's 8x8 digits blown up into a 20x20 box in 28x28, as MNIST frames them."""
    from sklearn.datasets import load_digits

    d = load_digits()
    small = torch.from_numpy((d.images[:64] / 16).astype(np.float32))[:, None]
    big = torch.nn.functional.interpolate(small, size=20, mode="bilinear", align_corners=False)
    return torch.nn.functional.pad(big, (4,) * 4).clamp(0, 1)


def gen(seed=0, device="cpu"):
    return torch.Generator(device=device).manual_seed(seed)


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_corruption_keeps_shape_dtype_range_and_is_seeded(name, digits28):
    op = CORRUPTIONS[name]
    out = op(digits28, gen(1))
    assert out.shape == digits28.shape and out.dtype == digits28.dtype
    assert out.min() >= 0 and out.max() <= 1
    assert not torch.equal(out, digits28)
    torch.testing.assert_close(op(digits28, gen(1)), out, rtol=0, atol=0)  # the same seed, the same batch
    assert not torch.equal(op(digits28, gen(2)), out)
    as64 = op(digits28.double(), gen(1))  # works in the batch's dtype: nothing is hard-wired to float32
    assert as64.dtype == torch.float64
    torch.testing.assert_close(as64.float(), out, atol=1e-5, rtol=0)


def test_the_pen_thickens_and_thins_as_asked(digits28):
    ink = lambda b: b.sum((1, 2, 3))
    thick = corrupt.pen(digits28, gen(), thin=-0.5, thick=1.5)  # t in [0.5, 1.5]: always thicker
    thin = corrupt.pen(digits28, gen(), thin=1.0, thick=-0.3)  # t in [-1, -0.3]: always thinner
    assert (ink(thick) > 1.3 * ink(digits28)).all()
    assert (ink(thin) < 0.9 * ink(digits28)).all()
    # t = 1 is exactly the 3x3 max filter (grey-scale dilation)
    full = corrupt.pen(digits28, gen(), thin=-1.0, thick=1.0)
    torch.testing.assert_close(full, torch.nn.functional.max_pool2d(digits28, 3, 1, 1))


def test_the_max_filter_matches_max_pool():
    x = torch.rand(5, 2, 9, 11, generator=gen())
    torch.testing.assert_close(corrupt._max3x3(x), torch.nn.functional.max_pool2d(x, 3, 1, 1))


def test_noise_has_the_drawn_std_and_impulse_the_drawn_share():
    grey = torch.full((4, 1, 64, 64), 0.5)  # mid-grey: clipping does not bias the estimate
    noisy = corrupt.noise(grey, gen(), std=(0.1, 0.1))
    assert abs(float((noisy - grey).std()) - 0.1) < 0.005
    assert abs(float((noisy - grey).mean())) < 0.005
    salted = corrupt.impulse(grey, gen(), amount=(0.2, 0.2))
    changed = (salted != grey).float().mean()
    assert abs(float(changed) - 0.2) < 0.02
    assert set(salted.unique().tolist()) == {0.0, 0.5, 1.0}


def test_blur_keeps_ink_mass_and_lowers_the_peak(digits28):
    blurred = corrupt.blur(digits28, gen(), sigma=(1.0, 1.0))
    torch.testing.assert_close(blurred.sum((1, 2, 3)), digits28.sum((1, 2, 3)), rtol=0.02, atol=0)
    assert (blurred.amax((1, 2, 3)) < digits28.amax((1, 2, 3))).all()


def test_contrast_maps_paper_and_ink_to_the_drawn_levels():
    x = torch.tensor([0.0, 1.0]).view(1, 1, 1, 2).repeat(3, 1, 1, 1)
    out = corrupt.contrast(x, gen(), paper=(0.2, 0.2), ink=(0.7, 0.7), gamma=(1.0, 1.0))
    torch.testing.assert_close(out[:, 0, 0], torch.tensor([[0.2, 0.7]] * 3))


def test_fill_box_stretches_a_thin_stroke_to_a_square():
    x = torch.zeros(2, 1, 28, 28)
    x[:, :, 4:24, 13:15] = 1.0  # a "1": 20 tall, 2 wide
    out = corrupt.fill_box(x, gen(), most=10.0)  # u ~ U(0, 1) stretches the width by 1 + u * 9
    cols = (out[:, 0] > 0.3).any(1).sum(1)
    assert (cols > 2).all() and (cols <= 22).all()
    rows = (out[:, 0] > 0.3).any(2).sum(1)
    assert (rows == 20).all()  # only the shorter side is stretched
    empty = torch.zeros(1, 1, 28, 28)
    assert torch.equal(corrupt.fill_box(empty, gen()), empty)


def test_occlusions_add_or_remove_ink_where_they_say(digits28):
    blank = torch.zeros(8, 1, 28, 28)
    for op in (corrupt.lines, corrupt.stripes, corrupt.frame, corrupt.background):
        assert (op(blank, gen()).sum((1, 2, 3)) > 0).all(), op.__name__  # drawn on empty paper
        assert (op(digits28, gen()) >= digits28 - 1e-6).all(), op.__name__  # never erase ink
    full = torch.ones(8, 1, 28, 28)
    holes = corrupt.spots(full, gen(), erase=1.0)
    assert (holes.sum((1, 2, 3)) < full.sum((1, 2, 3))).all()


def test_robust_preset_is_seeded_keeps_some_images_clean_and_can_drop_families(digits28):
    aug = PRESETS["robust"]
    a = robust_batch(digits28, aug, gen(3))
    torch.testing.assert_close(robust_batch(digits28, aug, gen(3)), a, rtol=0, atol=0)
    assert a.shape == digits28.shape and a.min() >= 0 and a.max() <= 1
    warp_only = robust_batch(digits28, Robust(families=()), gen(3))
    same = (a == warp_only).flatten(1).all(1)  # the images that drew "clean" (or no family)
    assert 0 < int(same.sum()) < len(a)
    assert [n for n, _ in aug.without("pen", "noise").families] == [n for n, _ in FAMILIES if n not in ("pen", "noise")]
    with pytest.raises(ValueError, match="sideways"):
        aug.without("sideways")
    # the geometric presets are what they were
    assert PRESETS["affine"] == Robust().warp and PRESETS["none"] is None


def test_resume_is_exact_with_the_robust_preset(tmp_path):
    """Interrupt after one epoch, resume: the same weights as the run that went straight through."""
    from digitlab.nn import architecture as A
    from digitlab.torch_engine.build import build_module, get_weights
    from digitlab.torch_engine.loop import TrainConfig, train_module

    rng = np.random.default_rng(0)
    X, y = torch.from_numpy(rng.random((128, 1, 12, 12), dtype=np.float32)), torch.from_numpy(rng.integers(0, 10, 128))
    arch = A.cnn((4,), 8, (1, 12, 12), 10, dropout=0.0, batchnorm=False)
    cfg = TrainConfig(epochs=2, batch_size=64, augment=PRESETS["robust"], seed=1)

    def run(**kwargs):
        torch.manual_seed(0)
        module = build_module(arch)
        train_module(module, X, y, cfg, torch.device("cpu"), **kwargs)
        return get_weights(module)

    straight = run()

    class Stop(Exception):
        pass

    def stop(epoch, module):
        raise Stop

    with pytest.raises(Stop):
        run(checkpoint=tmp_path / "c.ckpt", on_epoch=stop)
    resumed = run(checkpoint=tmp_path / "c.ckpt", resume=True)
    for name, w in straight.items():
        np.testing.assert_array_equal(resumed[name], w, err_msg=name)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_corruptions_run_on_the_batch_device(digits28):
    x = digits28.cuda()
    out = robust_batch(x, PRESETS["robust"], gen(0))  # the loop's generator stays on the CPU
    assert out.device == x.device and out.dtype == x.dtype


FLAGS = ["train", "--dataset", "digits", "--engine", "torch", "--model", "cnn", "--channels", "4,8", "--epochs", "4",
         "--batch-size", "64", "--lr", "0.003", "--device", "cpu", "--json"]


def test_cli_accepts_robust_and_refuses_a_misspelling(tmp_path, capsys):
    import json

    assert main([*FLAGS, "--runs-dir", str(tmp_path), "--augment", "robust", "--name", "r"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["settings"]["params"]["augment"] == "robust"
    assert out["metrics"]["test"]["accuracy"] > 0.5  # 4 tiny epochs on 8x8 digits; chance is 0.1
    assert main([*FLAGS, "--runs-dir", str(tmp_path / "bad"), "--augment", "robsut"]) == 2
    err = capsys.readouterr().err
    assert "robsut" in err and "robust" in err
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())
