"""denoise: every method improves PSNR on gray and RGB; BM3D is bm3d exactly."""

import sys

import numpy as np
import pytest
from skimage import data, img_as_float

from kerasgen.restoration import (
    DENOISE_METHODS,
    add_gaussian_noise,
    denoise,
    estimate_noise_sigma,
    psnr,
    ssim,
)

SIGMA = 25 / 255


@pytest.fixture(scope="module")
def gray(camera_crop):
    return camera_crop


@pytest.fixture(scope="module")
def rgb():
    return img_as_float(data.astronaut())[160:224, 160:224]


@pytest.mark.parametrize("method", DENOISE_METHODS)
@pytest.mark.parametrize("kind", ["gray", "rgb"])
def test_every_method_improves_psnr(method, kind, request):
    clean = request.getfixturevalue(kind)
    noisy = add_gaussian_noise(clean, SIGMA, seed=0)
    restored = denoise(noisy, method, SIGMA)
    assert restored.shape == clean.shape
    assert np.isfinite(restored).all()
    assert psnr(clean, restored) > psnr(clean, noisy) + 2
    assert ssim(clean, restored) > ssim(clean, noisy)


def test_bm3d_is_exactly_a_direct_bm3d_call(gray, rgb):
    bm3d = pytest.importorskip("bm3d")
    # bm3d itself differs run to run (~1e-7) when it uses several threads, so
    # compare single-threaded runs (this also checks that kwargs pass through).
    profile = bm3d.BM3DProfile()
    profile.num_threads = 1
    noisy = add_gaussian_noise(gray, SIGMA, seed=3)
    np.testing.assert_array_equal(denoise(noisy, "bm3d", SIGMA, profile=profile), bm3d.bm3d(noisy, SIGMA, profile))
    noisy_rgb = add_gaussian_noise(rgb[:32, :32], SIGMA, seed=3)
    np.testing.assert_array_equal(
        denoise(noisy_rgb, "bm3d", SIGMA, profile=profile), bm3d.bm3d_rgb(noisy_rgb, SIGMA, profile)
    )


def test_estimated_sigma(gray, rgb):
    for clean in (gray, rgb):
        noisy = add_gaussian_noise(clean, SIGMA, seed=0)
        assert estimate_noise_sigma(noisy) == pytest.approx(SIGMA, rel=0.2)
    noisy = add_gaussian_noise(gray, SIGMA, seed=0)
    assert psnr(gray, denoise(noisy, "tv")) > psnr(gray, noisy) + 2  # sigma=None: estimated


def test_layouts_single_channel_and_channels_first(gray, rgb):
    noisy = add_gaussian_noise(gray, SIGMA, seed=0)
    expected = denoise(noisy, "tv", SIGMA)
    np.testing.assert_array_equal(denoise(noisy[..., None], "tv", SIGMA), expected[..., None])
    noisy_rgb = add_gaussian_noise(rgb, SIGMA, seed=0)
    first = denoise(np.moveaxis(noisy_rgb, -1, 0), "tv", SIGMA, channel_axis=0)
    np.testing.assert_allclose(first, np.moveaxis(denoise(noisy_rgb, "tv", SIGMA), -1, 0))


def test_method_kwargs_and_zero_sigma(gray):
    noisy = add_gaussian_noise(gray, SIGMA, seed=0)
    light = denoise(noisy, "tv", SIGMA, weight=0.001)
    assert np.abs(light - noisy).max() < np.abs(denoise(noisy, "tv", SIGMA) - noisy).max()
    same = denoise(noisy, "nl_means", 0)
    np.testing.assert_array_equal(same, noisy)
    assert same is not noisy


def test_float32_input_accepted(gray):
    noisy = add_gaussian_noise(gray.astype(np.float32), SIGMA, seed=0)
    assert psnr(gray, denoise(noisy, "wavelet", SIGMA)) > psnr(gray, noisy)


def test_missing_bm3d_says_how_to_install(gray, monkeypatch):
    monkeypatch.setitem(sys.modules, "bm3d", None)  # makes `import bm3d` fail
    with pytest.raises(ImportError, match=r'pip install "kerasgen\[bm3d\]"'):
        denoise(gray, "bm3d", SIGMA)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("median",), {}, r"Unknown method 'median'. Expected one of: 'bm3d', 'nl_means'"),
        (("tv", -0.1), {}, "sigma must be >= 0"),
        (("tv", float("inf")), {}, "sigma must be finite"),
        (("tv", 25), {}, "divide by 255"),
        (("tv", 0.1), {"channel_axis": 0}, "channel_axis is only valid for 3-D"),
    ],
)
def test_denoise_argument_errors(gray, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        denoise(gray, *args, **kwargs)


def test_bm3d_gray_stored_as_rgb_gives_no_nan(gray):
    pytest.importorskip("bm3d")
    rgb = np.stack([gray[:32, :32]] * 3, axis=-1)  # bm3d_rgb alone returns NaN here
    restored = denoise(rgb, "bm3d", SIGMA)
    assert np.isfinite(restored).all()
    assert psnr(rgb, restored) > 30


@pytest.mark.parametrize("shape", [(8, 8), (8, 8, 3), (6, 40)])
def test_bm3d_rejects_too_small_images_instead_of_crashing(shape):
    pytest.importorskip("bm3d")
    with pytest.raises(ValueError, match=r"BM3D needs an image at least 8 pixels.*Received: image size"):
        denoise(np.zeros(shape), "bm3d", SIGMA)


@pytest.mark.parametrize("method", ["nl_means", "bilateral"])
@pytest.mark.parametrize("shape", [(1, 32, 3), (1, 32), (1, 32, 1), (32, 1), (1, 1)])
def test_a_side_of_1_keeps_the_shape(method, shape):
    # skimage squeezes singleton axes away: (1, 32, 3) came back (32, 3, 1).
    image = 0.5 + np.random.default_rng(0).normal(0, 0.05, shape)
    restored = denoise(image, method, 0.05)
    assert restored.shape == shape
    assert np.isfinite(restored).all()


def test_bm3d_gray_stored_as_rgb_is_denoised_as_gray(gray):
    bm3d = pytest.importorskip("bm3d")
    profile = bm3d.BM3DProfile()
    profile.num_threads = 1  # bit-identical runs
    noisy = add_gaussian_noise(gray[:32, :32], SIGMA, seed=0)
    restored = denoise(np.stack([noisy] * 3, axis=-1), "bm3d", SIGMA, profile=profile)
    expected = denoise(noisy, "bm3d", SIGMA, profile=profile)
    for c in range(3):  # bm3d_rgb was told sigma / sqrt(3): 10 dB worse on camera
        np.testing.assert_array_equal(restored[..., c], expected)


@pytest.mark.parametrize("name", ["sigma_psd", "z"])
def test_keyword_set_by_denoise_is_refused_by_name(gray, name):
    with pytest.raises(TypeError, match=rf"denoise sets {name} itself for method='bm3d'.*Received: {name}=0.1"):
        denoise(gray, "bm3d", SIGMA, **{name: 0.1})


def test_sigma_none_on_a_tiny_image(gray):
    # A constant image has no noise (was NaN for 1 x 1); too thin to estimate: say sigma=.
    np.testing.assert_array_equal(denoise(np.full((1, 1), 0.5), "tv"), [[0.5]])
    with pytest.raises(ValueError, match=r"smaller than 8 pixels in a side: give it with sigma=.*\(1, 40\)"):
        denoise(gray[:1, :40], "tv")


@pytest.mark.parametrize("shape", [(16, 16), (16, 16, 3)])
def test_bilateral_result_of_a_constant_image_is_not_the_input(shape):
    image = np.full(shape, 0.5)
    restored = denoise(image, "bilateral", 0.1)
    assert not np.shares_memory(restored, image)  # skimage handed the input itself back
    np.testing.assert_array_equal(restored, image)
