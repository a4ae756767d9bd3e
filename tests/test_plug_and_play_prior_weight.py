"""The deblurring prior weight chosen from the PSF (plug_and_play._prior_weight)."""

import numpy as np
import pytest
from skimage import data
from skimage.restoration import denoise_tv_chambolle

from kerasgen import restoration as R
from kerasgen.plug_and_play import _data_steps as D
from kerasgen.plug_and_play import _prior_weight as P
from kerasgen.plug_and_play import deblur


def tv_denoiser(image, sigma):
    return denoise_tv_chambolle(image, weight=sigma, channel_axis=-1 if image.ndim == 3 else None)


def shake_psf():
    """A camera-shake-like kernel: a bent line, not point-symmetric."""
    psf = np.zeros((9, 9))
    psf[4, 1:7] = 1.0
    psf[2:4, 6] = 1.0
    return psf / psf.sum()


def test_noise_gain_is_the_data_steps_gain_on_white_noise():
    otf = D.psf_otf(R.gaussian_psf(9, 1.6), (128, 128), real=True)
    power = np.abs(otf) ** 2
    noise = np.random.default_rng(0).standard_normal((128, 128))
    alpha = 0.1
    # z = 0: the step returns conj(K) Y / (|K|^2 + alpha), white noise in, filtered noise out.
    out = D.deconvolution_step(np.zeros((128, 128)), np.conj(otf) * D.real_fft(noise), power, alpha)
    full = np.abs(D.psf_otf(R.gaussian_psf(9, 1.6), (128, 128))) ** 2
    assert out.std() == pytest.approx(P.noise_gain(full, alpha), rel=0.03)
    assert P.noise_gain(power, alpha) == pytest.approx(P.noise_gain(full, alpha), rel=0.01)


@pytest.mark.parametrize(
    "psf, smooth",
    [
        (R.gaussian_psf(9, 1.6), True),
        (R.gaussian_psf(7, 1.0), True),
        (R.gaussian_psf(19, 3.0), True),
        (np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64, False),  # even size: centred half a pixel off, complex OTF
        (np.full((5, 5), 1 / 25), False),  # box: negative lobes
        (shake_psf(), False),
    ],
)
def test_smooth_psfs_are_the_point_symmetric_ones_without_negative_lobes(psf, smooth):
    assert P.is_smooth_psf(D.psf_otf(psf, (64, 64), real=True)) is smooth


def test_weight_is_dpirs_except_for_wider_smooth_psfs():
    def weight(psf):
        return P.deblur_prior_weight(D.psf_otf(psf, (256, 256), real=True))

    assert weight(shake_psf()) == P.PRIOR_WEIGHT == 0.23
    assert weight(np.full((5, 5), 1 / 25)) == 0.23
    assert weight(R.gaussian_psf(7, 1.0)) == 0.23  # narrow: its gain at 0.23 is already below the target
    assert weight(R.gaussian_psf(19, 3.0)) == P.MIN_PRIOR_WEIGHT  # wide: the floor
    middle = weight(R.gaussian_psf(9, 1.6))
    assert 0.09 < middle < 0.11
    power = np.abs(D.psf_otf(R.gaussian_psf(9, 1.6), (256, 256), real=True)) ** 2
    assert P.noise_gain(power, middle) == pytest.approx(P.NOISE_GAIN, abs=1e-6)
    # Wider PSFs get smaller weights.
    assert weight(R.gaussian_psf(9, 1.3)) > middle > weight(R.gaussian_psf(13, 2.0))


def test_deblur_default_weight_is_the_rule_and_a_given_weight_is_used():
    camera = data.camera()[180:244, 200:264].astype(np.float32) / 255
    psf = R.gaussian_psf(9, 1.6)
    blurred = R.add_gaussian_noise(R.blur(camera, psf, mode="reflect"), 0.01, seed=0)
    kwargs = dict(sigma=0.01, model=tv_denoiser, iterations=3, mode="wrap")
    default = deblur(blurred, psf, **kwargs)
    rule = P.deblur_prior_weight(D.psf_otf(psf, blurred.shape, real=True))
    np.testing.assert_array_equal(default, deblur(blurred, psf, prior_weight=rule, **kwargs))
    assert not np.array_equal(default, deblur(blurred, psf, prior_weight=0.23, **kwargs))
    shake = shake_psf()
    np.testing.assert_array_equal(
        deblur(blurred, shake, **kwargs), deblur(blurred, shake, prior_weight=0.23, **kwargs)
    )


def test_deblur_prior_weight_is_validated():
    image = np.full((16, 16), 0.5)
    with pytest.raises(ValueError, match="prior_weight"):
        deblur(image, R.gaussian_psf(3, 1.0), sigma=0.01, model=lambda x, s: x, prior_weight=0)
    with pytest.raises(TypeError, match="prior_weight"):
        deblur(image, R.gaussian_psf(3, 1.0), sigma=0.01, model=lambda x, s: x, prior_weight="auto")
