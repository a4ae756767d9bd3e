"""Seeded degradations: determinism, statistics, shapes."""

import numpy as np
import pytest

from kerasgen.restoration import (
    add_gaussian_noise,
    add_poisson_noise,
    add_salt_and_pepper,
    blur,
    downsample,
    gaussian_psf,
    jpeg_compress,
    psnr,
    random_mask,
    upsample,
)


@pytest.fixture
def image():
    return np.random.default_rng(0).random((32, 40)).astype(np.float32)


@pytest.mark.parametrize(
    "degrade",
    [
        lambda x, **s: add_gaussian_noise(x, 0.1, **s),
        lambda x, **s: add_poisson_noise(x, 30, **s),
        lambda x, **s: add_salt_and_pepper(x, 0.2, **s),
        lambda x, **s: random_mask(x.shape, 0.3, **s),
    ],
    ids=["gaussian", "poisson", "salt_and_pepper", "mask"],
)
def test_seeded_determinism(image, degrade):
    first = degrade(image, seed=1)
    np.testing.assert_array_equal(first, degrade(image, seed=1))
    np.testing.assert_array_equal(first, degrade(image, rng=np.random.default_rng(1)))
    assert not np.array_equal(first, degrade(image, seed=2))


def test_gaussian_noise_statistics_dtype_and_clip(image):
    noisy = add_gaussian_noise(image, 0.1, seed=0)
    assert noisy.dtype == np.float32 and noisy.shape == image.shape
    assert abs(float(np.std(noisy - image)) - 0.1) < 0.01
    assert noisy.min() < 0 or noisy.max() > 1  # not clipped by default
    clipped = add_gaussian_noise(image, 0.1, seed=0, clip=True)
    assert clipped.min() >= 0 and clipped.max() <= 1
    rgb = np.stack([image] * 3, axis=-1)
    assert add_gaussian_noise(rgb[..., :1], 0.1, seed=0).shape == (32, 40, 1)
    assert add_gaussian_noise(rgb, 0.1, seed=0).shape == (32, 40, 3)


def test_poisson_noise_gets_weaker_with_peak(image):
    assert psnr(image, add_poisson_noise(image, 1000, seed=0)) > psnr(image, add_poisson_noise(image, 10, seed=0))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        add_poisson_noise(image - 0.5, 10, seed=0)
    with pytest.raises(ValueError, match="peak must be > 0"):
        add_poisson_noise(image, 0)


def test_salt_and_pepper_hits_whole_pixels():
    image = np.full((50, 50, 3), 0.5)
    noisy = add_salt_and_pepper(image, 0.2, seed=0)
    hit = (noisy != 0.5).any(axis=-1)
    assert 0.15 < hit.mean() < 0.25
    assert np.isin(noisy[hit], (0.0, 1.0)).all()
    assert (noisy[hit] == noisy[hit][:, :1]).all()  # channels corrupted together


def test_gaussian_psf():
    psf = gaussian_psf(9, 1.6)
    assert psf.shape == (9, 9)
    assert psf.sum() == pytest.approx(1.0)
    assert psf[4, 4] == psf.max()
    np.testing.assert_allclose(psf, psf.T)
    np.testing.assert_allclose(psf, psf[::-1, ::-1])
    with pytest.raises(ValueError, match="odd"):
        gaussian_psf(8, 1.6)
    with pytest.raises(ValueError, match="std must be > 0"):
        gaussian_psf(9, 0)
    # Bounded before allocating (a side of 10**9 + 1 would need 8 EB).
    with pytest.raises(ValueError, match=r"size must be <= 9459\. Received: size=1000000001"):
        gaussian_psf(10**9 + 1, 2.0)


def test_blur_matches_scipy_and_keeps_mean(image):
    from scipy import ndimage

    psf = gaussian_psf(5, 1.0)
    blurred = blur(image, psf)
    np.testing.assert_allclose(blurred, ndimage.convolve(image, psf.astype(np.float32), mode="wrap"), rtol=1e-6)
    assert float(blurred.mean()) == pytest.approx(float(image.mean()), rel=1e-5)  # periodic: no mass lost
    assert blurred.std() < image.std()
    rgb = np.stack([image, image[::-1], image[:, ::-1]], axis=-1)
    blurred_rgb = blur(rgb, psf, mode="reflect")
    np.testing.assert_allclose(blurred_rgb[..., 1], blur(image[::-1], psf, mode="reflect"), rtol=1e-6)
    with pytest.raises(ValueError, match="mode"):
        blur(image, psf, mode="periodic")
    with pytest.raises(ValueError, match="psf must not be larger"):
        blur(image[:4, :4], psf)


def test_blur_normalises_a_psf_not_summing_to_1_and_refuses_negative_taps(image):
    # As deblur does, so that blur followed by deblur with the same kernel
    # keeps the brightness (a box of ones used to make the image 9x brighter).
    box = np.ones((3, 3))
    with pytest.warns(UserWarning, match=r"psf should sum to 1.*psf\.sum\(\)=9"):
        blurred = blur(image, box)
    np.testing.assert_allclose(blurred, blur(image, box / 9), rtol=1e-6)
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float)
    with pytest.raises(ValueError, match=r"psf must not have negative values.*psf\.min\(\)=-1"):
        blur(image, sharpen)


def test_random_mask_fraction_and_shape():
    mask = random_mask((20, 30, 3), 0.25, seed=0)
    assert mask.dtype == bool and mask.shape == (20, 30)
    assert mask.sum() == 150
    assert not random_mask((5, 5), 0.0, seed=0).any()
    assert random_mask((5, 5), 1.0, seed=0).all()
    with pytest.raises(ValueError, match="fraction must be <= 1"):
        random_mask((5, 5), 1.5)
    with pytest.raises(ValueError, match="shape must be"):
        random_mask((5,), 0.5)


def test_jpeg_compress_loses_more_at_low_quality():
    x = np.linspace(0, 1, 64)
    image = np.stack([np.outer(x, x), np.outer(x, 1 - x), np.outer(1 - x, x)], axis=-1)
    low, high = jpeg_compress(image, 5), jpeg_compress(image, 95)
    assert low.shape == image.shape and low.dtype == image.dtype
    assert psnr(image, high) > psnr(image, low) + 5
    with pytest.raises(ValueError, match="quality must be between 1 and 100"):
        jpeg_compress(image, 101)


def test_downsample_and_upsample_shapes(image):
    small = downsample(image, 4)
    assert small.shape == (8, 10) and small.dtype == np.float32
    assert upsample(small, 4).shape == (32, 40)
    rgb = np.stack([image] * 3, axis=-1)
    assert downsample(rgb, 2).shape == (16, 20, 3)
    smooth = np.outer(np.sin(np.linspace(0, 3, 32)), np.cos(np.linspace(0, 3, 40)))
    assert psnr(smooth, upsample(downsample(smooth, 2), 2)) > 30
    with pytest.raises(ValueError, match="factor must be >= 1"):
        downsample(image, 0)
    with pytest.raises(ValueError, match="factor must not exceed"):
        downsample(image, 64)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sigma": -0.1}, "sigma must be >= 0"),
        ({"sigma": float("nan")}, "sigma must be finite"),
        ({"sigma": 25}, "divide by 255"),
        ({"sigma": 0.1, "seed": 1, "rng": np.random.default_rng(1)}, "either seed= or rng="),
        ({"sigma": 0.1, "rng": 1}, "numpy.random.Generator"),
    ],
)
def test_noise_argument_errors(image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        add_gaussian_noise(image, **kwargs)


def test_argument_type_errors(image):
    with pytest.raises(TypeError, match=r"sigma must be a float \(a real number\)\. Received: sigma='0.1'"):
        add_gaussian_noise(image, "0.1")
    with pytest.raises(TypeError, match="seed must be an int or None. Received: seed=1.5"):
        add_gaussian_noise(image, 0.1, seed=1.5)


@pytest.mark.parametrize(
    "degrade",
    [
        lambda x: add_gaussian_noise(x, 25 / 255, seed=0),  # 0.1 grey levels of noise instead of 25
        lambda x: add_salt_and_pepper(x, 0.2, seed=0),  # "salt" 1.0 in an image whose max is 255
        lambda x: jpeg_compress(x, 30),  # came back all white
    ],
    ids=["gaussian", "salt_and_pepper", "jpeg"],
)
def test_0_255_images_are_refused_unless_the_check_is_off(image, degrade):
    import kerasgen

    with pytest.raises(ValueError, match=r"far outside the expected range.*image / 255.0"):
        degrade(image * 255)
    previous = kerasgen.set_range_check(False)
    try:
        assert degrade(image * 255).shape == image.shape
    finally:
        kerasgen.set_range_check(previous)


def test_poisson_peak_too_large_for_numpy_is_refused_with_the_range(image):
    # Was numpy's bare "lam value too large".
    with pytest.raises(ValueError, match=r"peak must be <= 1e\+18\. The allowed range is \(0, 1e18\].*Received: peak=1e\+20"):
        add_poisson_noise(image, 1e20, seed=0)
    assert add_poisson_noise(image, 1e18, seed=0).shape == image.shape


@pytest.mark.parametrize(
    "seed, error, match",
    [
        (-1, ValueError, r"seed must be an int in \[0, 2\*\*32 - 1\] or None. Received: seed=-1"),
        (2**32, ValueError, r"seed must be an int in \[0, 2\*\*32 - 1\] or None. Received: seed=4294967296"),
        (True, TypeError, "seed must be an int or None. Received: seed=True"),
        (np.True_, TypeError, "seed must be an int or None"),
    ],
)
def test_seed_range(image, seed, error, match):
    with pytest.raises(error, match=match):
        add_gaussian_noise(image, 0.1, seed=seed)


def test_numpy_int_seeds_are_accepted(image):
    np.testing.assert_array_equal(
        add_gaussian_noise(image, 0.1, seed=np.int64(3)), add_gaussian_noise(image, 0.1, seed=3)
    )
    assert add_gaussian_noise(image, 0.1, seed=2**32 - 1).shape == image.shape
