"""Noise level estimation (kerasgen.restoration.noise_level)."""

import warnings

import numpy as np
import pytest
from skimage import data, img_as_float
from skimage.restoration import estimate_sigma

from kerasgen.restoration import NOISE_ESTIMATORS, add_gaussian_noise, estimate_noise_sigma, noise_level


@pytest.fixture(scope="module")
def images():
    return {
        "camera": img_as_float(data.camera()),
        "brick": img_as_float(data.brick()),
        "coins": img_as_float(data.coins()),
        "astronaut": img_as_float(data.astronaut())[:256, 256:],
    }


@pytest.mark.parametrize("sigma", [5, 15, 25, 50])
def test_weak_texture_estimate_is_accurate_where_the_wavelet_one_is_biased(images, sigma):
    weak, wavelet = [], []
    for seed, image in enumerate(images.values()):
        noisy = add_gaussian_noise(image, sigma / 255, seed=seed)  # not clipped
        weak.append(estimate_noise_sigma(noisy) * 255 / sigma)
        wavelet.append(estimate_noise_sigma(noisy, method="wavelet") * 255 / sigma)
    np.testing.assert_allclose(weak, 1.0, atol=0.06)  # camera's grass passes for weak texture: 1.04 at 15
    assert abs(np.mean(weak) - 1) < 0.03
    assert abs(np.mean(weak) - 1) < abs(np.mean(wavelet) - 1) or sigma == 50  # equal at 50
    if sigma == 5:  # image detail in the finest wavelet band: overestimated by 10-60%
        assert np.mean(wavelet) > 1.1


def test_noise_free_images_get_a_small_estimate(images):
    for name in ("camera", "coins"):
        weak = estimate_noise_sigma(images[name])
        assert weak * 255 < 1.0 and weak < estimate_noise_sigma(images[name], method="wavelet"), name


def test_large_images_use_a_subset_of_patches_and_stay_accurate():
    image = np.tile(img_as_float(data.camera()), (3, 3))  # 1536 x 1536: 2.3 M patch positions
    assert (image.shape[0] - 6) ** 2 > 50 * noise_level._MAX_PATCHES
    assert estimate_noise_sigma(add_gaussian_noise(image, 15 / 255, seed=0)) * 255 == pytest.approx(15, rel=0.06)


def test_wavelet_method_is_skimage_estimate_sigma(images):
    gray = add_gaussian_noise(images["camera"][:100, :120], 0.1, seed=0)
    rgb = add_gaussian_noise(images["astronaut"][:100, :120], 0.1, seed=0)
    assert estimate_noise_sigma(gray, method="wavelet") == estimate_sigma(gray)
    assert estimate_noise_sigma(rgb, method="wavelet") == estimate_sigma(rgb, channel_axis=-1, average_sigmas=True)


def test_colour_estimate_is_the_mean_of_the_channels(images):
    rgb = add_gaussian_noise(images["astronaut"], 0.1, seed=1)
    channels = [estimate_noise_sigma(rgb[..., c]) for c in range(3)]
    assert estimate_noise_sigma(rgb) == pytest.approx(np.mean(channels))
    assert estimate_noise_sigma(np.moveaxis(rgb, -1, 0), channel_axis=0) == pytest.approx(np.mean(channels))


def test_small_images_fall_back_to_the_wavelet_estimate(images):
    small = add_gaussian_noise(images["camera"][:60, :60], 0.1, seed=2)
    assert estimate_noise_sigma(small) == estimate_noise_sigma(small, method="wavelet")


def test_texture_threshold_is_liu_et_al_gamma_quantile():
    stats = pytest.importorskip("scipy.stats")
    # 70 central differences of a 7 x 7 patch: D^T D has rank 45 and trace 35 (Liu et al. 2013)
    expected = stats.gamma.ppf(1 - 1e-6, 45 / 2, scale=2 * 35 / 45)
    assert noise_level._texture_threshold() == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "mad"}, ValueError, "Expected one of: 'weak_texture', 'wavelet'"),
        ({"image": np.full((80, 80), np.nan)}, ValueError, "NaN"),
        ({"image": np.zeros((80, 80, 4))}, ValueError, "channel"),
        ({"image": np.full((80, 80), 200.0)}, ValueError, r"\[0, 1\]"),
    ],
)
def test_bad_input_is_refused(kwargs, error, match):
    arguments = {"image": np.zeros((80, 80))} | kwargs
    with pytest.raises(error, match=match):
        estimate_noise_sigma(arguments.pop("image"), **arguments)


def test_methods_are_listed():
    assert NOISE_ESTIMATORS == ("weak_texture", "wavelet")


@pytest.mark.parametrize("method", NOISE_ESTIMATORS)
@pytest.mark.parametrize("shape", [(1, 1), (3, 40), (64, 64), (32, 32, 3)])
@pytest.mark.parametrize("value", [0.0, 0.3])
def test_constant_images_have_no_noise(method, shape, value):
    # Was NaN (all-zero wavelet detail) or ~1e-33, for images of any size.
    assert estimate_noise_sigma(np.full(shape, value), method=method) == 0.0


@pytest.mark.parametrize("shape", [(1, 40), (40, 1), (16, 4), (7, 64), (5, 5, 3)])
def test_images_too_small_to_estimate_from_are_refused(shape):
    noisy = 0.5 + np.random.default_rng(0).normal(0, 0.1, shape)  # a 1 x 40 strip was estimated 2e-17
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no skimage "If this is a color image" warning either
        with pytest.raises(ValueError, match=r"smaller than 8 pixels in a side: give it with sigma=.*Received: image size"):
            estimate_noise_sigma(noisy)


def test_small_images_estimate_without_warnings():
    noisy = 0.5 + np.random.default_rng(0).normal(0, 0.1, (8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert 0.05 < estimate_noise_sigma(noisy) < 0.2
