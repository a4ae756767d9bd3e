"""Reliability of restoration: range check, PSF sum, bilateral borders, pixel limit."""

import warnings

import numpy as np
import pytest
import tifffile
from PIL import Image
from skimage import data, img_as_float

import kerasgen
from kerasgen import restoration as R
from kerasgen._checks import check_data_range


@pytest.fixture(scope="module")
def clean():
    return img_as_float(data.camera()[::8, ::8]).astype(np.float32)  # 64 x 64


# ------------------------------------------------------------ range check


@pytest.mark.parametrize(
    "call",
    [
        lambda img: R.denoise(img, "tv", sigma=25 / 255),
        lambda img: R.deblur(img, R.gaussian_psf(5, 1.0), "wiener", sigma=0.01),
        lambda img: R.inpaint(img, np.zeros(img.shape, bool) | (np.arange(img.size).reshape(img.shape) == 5)),
    ],
    ids=["denoise", "deblur", "inpaint"],
)
def test_0_255_images_are_refused_with_a_rescale_hint(clean, call):
    with pytest.raises(ValueError, match=r"image / 255.0.*set_range_check\(False\)"):
        call(clean * 255)


def test_noisy_images_slightly_out_of_range_are_accepted(clean):
    noisy = R.add_gaussian_noise(clean, 50 / 255, seed=0)
    assert noisy.min() < 0 and noisy.max() > 1
    R.denoise(noisy, "tv", sigma=50 / 255)
    check_data_range(np.array([-0.9, 1.9]))


def test_range_check_can_be_turned_off_per_call_and_globally(clean):
    R.denoise(clean * 255, "tv", sigma=0.1, check_range=False)
    previous = kerasgen.set_range_check(False)
    try:
        assert not kerasgen.range_check_enabled()
        R.denoise(clean * 255, "tv", sigma=0.1)
    finally:
        kerasgen.set_range_check(previous)
    assert kerasgen.range_check_enabled()


def test_range_check_switch_accepts_numpy_bools():
    previous = kerasgen.set_range_check(np.False_)
    try:
        assert not kerasgen.range_check_enabled()
        assert kerasgen.set_range_check(np.True_) is False
        assert kerasgen.range_check_enabled()
    finally:
        kerasgen.set_range_check(previous)
    with pytest.raises(TypeError, match="enabled must be a bool. Received: enabled=1"):
        kerasgen.set_range_check(1)


def test_environment_variable_turns_the_check_off(monkeypatch):
    monkeypatch.setenv("KERASGEN_RANGE_CHECK", "0")
    check_data_range(np.array([0.0, 255.0]))


def test_restore_refuses_0_255_images(clean):
    from kerasgen.models import build_unet

    model = build_unet(depth=1, base_filters=4)
    with pytest.raises(ValueError, match=r"image / 255.0"):
        kerasgen.restore(clean * 255, model)


# ------------------------------------------------------------ PSF


@pytest.mark.parametrize("method", ["wiener", "richardson_lucy", "bm3d"])
def test_psf_not_summing_to_1_is_normalised_with_a_warning(clean, method):
    if method == "bm3d" and not R.bm3d_available():
        pytest.skip("bm3d not installed")
    psf = R.gaussian_psf(5, 1.0)
    blurred = R.blur(clean, psf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = R.deblur(blurred, psf, method, sigma=0.01)
    with pytest.warns(UserWarning, match="psf should sum to 1"):
        result = R.deblur(blurred, psf * 10, method, sigma=0.01)
    np.testing.assert_allclose(result, expected, atol=1e-5)
    assert abs(result.mean() - clean.mean()) < 0.05  # not 10x darker


def test_bm3d_deblurs_gray_stored_as_rgb_as_gray(clean):
    bm3d = pytest.importorskip("bm3d")
    profile = bm3d.BM3DProfile()
    profile.num_threads = 1  # bit-identical runs
    psf = R.gaussian_psf(5, 1.0)
    blurred = R.add_gaussian_noise(R.blur(clean[:32, :32], psf), 0.005, seed=0)
    expected = R.deblur(blurred, psf, "bm3d", sigma=0.005, profile=profile)
    restored = R.deblur(np.stack([blurred] * 3, axis=-1), psf, "bm3d", sigma=0.005, profile=profile)
    for c in range(3):  # the opponent-space path was 16 dB worse than gray (and than its input)
        np.testing.assert_array_equal(restored[..., c], expected)


# ------------------------------------------------------------ bilateral borders


def test_bilateral_does_not_darken_borders():
    flat = np.full((32, 32), 0.2, np.float32)
    out = R.denoise(flat, "bilateral", sigma=0.05)
    np.testing.assert_allclose(out, 0.2, atol=1e-5)


# ------------------------------------------------------------ pixel limit


def tiff_declaring(path, height, width):
    tifffile.imwrite(path, np.zeros((16, 16), np.uint8))
    with tifffile.TiffFile(path, mode="r+b") as tiff:
        tiff.pages[0].tags["ImageWidth"].overwrite(width)
        tiff.pages[0].tags["ImageLength"].overwrite(height)


def test_tiff_declaring_a_huge_image_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.tif"
    tiff_declaring(path, 20000, 20000)
    assert path.stat().st_size < 10_000
    with pytest.raises(ValueError, match=r"20000 x 20000 = 400000000 pixels.*max_pixels="):
        R.read_image(path)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_every_format_has_the_same_limit_and_override(tmp_path, suffix):
    path = tmp_path / f"image{suffix}"
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(path)
    with pytest.raises(ValueError, match="600 pixels, more than the limit of 500"):
        R.read_image(path, max_pixels=500)
    assert R.read_image(path, max_pixels=600).shape == (20, 30)


def test_pillow_limit_is_the_default(tmp_path, monkeypatch):
    path = tmp_path / "image.tif"
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ValueError, match="limit of 100"):
        R.read_image(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    assert R.read_image(path).shape == (20, 30)
