"""One meaning per name: the numpy and TensorFlow versions of a metric or a
degradation give the same result on the same input."""

import math

import numpy as np
import pytest
from skimage import data, img_as_float32

from kerasgen.restoration import add_gaussian_noise, blur, gaussian_psf
from kerasgen.restoration import ssim as numpy_ssim


@pytest.fixture(scope="module")
def pair():
    clean = img_as_float32(data.camera())[:96, :128]
    noisy = np.clip(add_gaussian_noise(clean, 25 / 255, seed=0), 0, 1).astype(np.float32)
    return clean, noisy


@pytest.mark.parametrize("channels", [1, 3])
def test_restoration_ssim_equals_metrics_ssim(pair, channels):
    from kerasgen.metrics import ssim as tf_ssim

    clean, noisy = pair
    if channels == 3:
        rng = np.random.default_rng(1)
        clean = np.stack([clean, clean[::-1], clean[:, ::-1]], axis=-1)
        noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1).astype(np.float32)
    else:
        clean, noisy = clean[..., None], noisy[..., None]
    expected = float(tf_ssim(clean[None], noisy[None])[0])
    assert 0.0 < expected < 0.95
    assert numpy_ssim(clean, noisy) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("std", [0.8, 2.0])
def test_numpy_blur_equals_training_pipeline_blur(pair, std):
    import tensorflow as tf

    from kerasgen.data.degradations import make_degradation

    clean = pair[0][:64, :64, None]
    degrade = make_degradation(
        "blur",
        patch_size=64,
        sigma_range=(0.0, 0.2),
        blur_std_range=(std, std),
        blur_noise_sigma=0.0,
        mask_fraction_range=(0.1, 0.5),
        jpeg_quality_range=(10, 50),
        scale_range=(2, 2),
    )
    degraded, sigma = degrade(tf.constant(clean), tf.constant([1, 2], tf.int64))
    assert float(sigma) == 0.0
    psf = gaussian_psf(2 * math.ceil(3 * std) + 1, std)
    expected = blur(clean, psf, mode="mirror")
    np.testing.assert_allclose(degraded.numpy(), expected, atol=1e-5)
    # The default periodic boundary differs at the borders only.
    periodic = blur(clean, psf)
    inner = slice(3 * math.ceil(3 * std), -3 * math.ceil(3 * std))
    np.testing.assert_allclose(periodic[inner, inner], expected[inner, inner], atol=1e-5)
    assert np.abs(periodic - expected).max() > 1e-3
