"""The corruption suite: properties every corruption keeps, and worked examples of a few."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from digitlab.evaluate import corruptions as C
from digitlab.evaluate import warps as W

NAMES = list(C.CORRUPTIONS)
images_28 = st.integers(0, 3).flatmap(  # 0: an empty batch is a batch too
    lambda n: arrays(np.uint8, (n, 28, 28), elements=st.integers(0, 255)))
seeds = st.integers(0, 2**32 - 1)
severities = st.sampled_from(C.SEVERITIES)


@pytest.fixture(scope="module")
def digit_batch() -> np.ndarray:
    """60 of scikit-learn's 8x8 digits drawn MNIST-style: scaled to 20x20, centred in 28x28."""
    from scipy import ndimage

    from digitlab.data import load_dataset

    small = load_dataset("digits").test.images[:60].astype(np.float64)
    big = np.clip(ndimage.zoom(small, (1, 2.5, 2.5), order=1), 0, 255)
    out = np.zeros((len(small), 28, 28), np.uint8)
    out[:, 4:24, 4:24] = np.round(big).astype(np.uint8)
    return out


def change(before, after) -> float:
    return float(np.mean(np.abs(after.astype(np.float64) - before)) / 255)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15, deadline=None)
@given(images=images_28, severity=severities, seed=seeds)
def test_shape_dtype_determinism_and_no_mutation(name, images, severity, seed):
    before = images.copy()
    out = C.corrupt(images, name, severity, np.random.default_rng(seed))
    again = C.corrupt(images, name, severity, np.random.default_rng(seed))
    assert out.dtype == np.uint8 and out.shape == images.shape
    assert np.array_equal(out, again)
    assert np.array_equal(images, before)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=10, deadline=None)
@given(images=arrays(np.uint8, (2, 28, 28), elements=st.integers(0, 255)), severity=severities,
       seed=seeds)
def test_each_image_is_corrupted_on_its_own(name, images, severity, seed):
    """Changing one image of a batch never changes another's result (no filter runs across images)."""
    other = images.copy()
    other[1] = 255 - other[1]
    a = C.corrupt(images, name, severity, np.random.default_rng(seed))
    b = C.corrupt(other, name, severity, np.random.default_rng(seed))
    assert np.array_equal(a[0], b[0])


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=5, deadline=None)
@given(seed=seeds)
def test_damage_grows_with_severity_and_severity_0_is_the_clean_image(name, seed, digit_batch):
    def at(severity):  # the same draws at every severity, so only the severity differs
        return C.corrupt(digit_batch, name, severity, np.random.default_rng(seed))

    assert np.array_equal(at(0), digit_batch)
    damage = [change(digit_batch, at(s)) for s in C.SEVERITIES]
    assert 0 < damage[0] < damage[1] < damage[2], damage
    assert damage[0] < 0.2  # severity 1 is mild: a fifth of full scale per pixel at most


def test_the_registry_is_complete_and_families_hold_every_corruption():
    assert len(NAMES) == len(set(NAMES)) >= 16
    assert {C.FAMILY_OF[n] for n in NAMES} == set(C.FAMILIES)
    assert C.HELD_OUT <= set(NAMES)
    assert all(C.CORRUPTIONS[n].__doc__ for n in NAMES)  # the report shows each one's idea


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        C.corrupt(np.zeros((2, 28, 28), np.float32), "fog", 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="severity"):
        C.corrupt(np.zeros((2, 28, 28), np.uint8), "fog", 4, np.random.default_rng(0))


# -- worked examples -----------------------------------------------------------------------


def test_brightness_is_the_grey_paper_formula():
    x = np.array([[[0, 100, 255] + [0] * 25] * 28], np.uint8)
    out = C.brightness(x, 2, np.random.default_rng(0))
    b = 0.35
    assert out[0, 0, :3].tolist() == [round(255 * b), round(255 * (b + (1 - b) * 100 / 255)), 255]


def test_gaussian_noise_has_the_stated_sigma():
    flat = np.full((200, 28, 28), 128, np.uint8)
    out = C.gaussian_noise(flat, 2, np.random.default_rng(0)).astype(np.float64) / 255
    assert abs(out.std() - 0.16) < 0.005 and abs(out.mean() - 128 / 255) < 0.005


def test_impulse_noise_hits_the_stated_share_of_pixels():
    grey = np.full((200, 28, 28), 128, np.uint8)
    out = C.impulse_noise(grey, 3, np.random.default_rng(0))
    assert set(np.unique(out)) == {0, 128, 255}
    assert abs(np.mean(out != 128) - 0.09) < 0.005


def test_a_flat_image_goes_through_jpeg_and_blur_unchanged():
    flat = np.full((3, 28, 28), 128, np.uint8)
    for name in ("jpeg", "gaussian-blur", "pixelate"):
        assert np.abs(C.corrupt(flat, name, 3, np.random.default_rng(0)).astype(int) - 128).max() <= 1


@pytest.mark.parametrize("name", ["stripes", "grid", "zigzag", "thick-pen", "brightness", "shadow",
                                  "fog"])
def test_lines_pens_and_veils_only_add_light(name, digit_batch):
    out = C.corrupt(digit_batch, name, 3, np.random.default_rng(0))
    assert np.all(out >= digit_batch)


@pytest.mark.parametrize("name", ["thin-pen", "bar"])
def test_thin_pens_and_bars_only_take_ink_away(name, digit_batch):
    out = C.corrupt(digit_batch, name, 3, np.random.default_rng(0))
    assert np.all(out <= digit_batch)


def test_geometry_keeps_a_blank_image_blank_and_the_homography_of_fixed_corners_is_identity():
    blank = np.zeros((4, 28, 28), np.uint8)
    for name in C.FAMILIES["geometry"]:
        assert not C.corrupt(blank, name, 3, np.random.default_rng(0)).any()
    corners = np.array([[[-14, -14], [-14, 14], [14, 14], [14, -14]]], np.float64)
    assert np.allclose(W._homography(corners, corners), np.eye(3), atol=1e-9)


def test_affine_keeps_the_ink_centred_and_roughly_its_amount(digit_batch):
    out = C.affine(digit_batch, 2, np.random.default_rng(0)).astype(np.float64)
    ratio = out.sum(axis=(1, 2)) / digit_batch.sum(axis=(1, 2))
    assert np.all((ratio > 0.6) & (ratio < 1.6))  # scale up to 15 % each way: area up to 1.32x
