"""The deblurring prior weight (DPIR's lambda) chosen from the PSF.

DPIR's ``lambda = 0.23`` sets the last data step's weight ``alpha`` (the
schedule ends at the data's noise level, where ``alpha = lambda``). It is the
right value for camera shake and for narrow Gaussian PSFs, but too large for
wider, smooth PSFs. Measured with the shipped grey denoiser on 8 held-out
cbsd432 photos (256 x 256, noise 2.55 / 255), PSNR against lambda:

* camera-shake kernels: 0.23 is best; 0.15 loses 1.4-1.7 dB, 0.19
  0.15-0.22, 0.27 0.01-0.07, 0.35 0.2-0.4;
* Gaussian PSFs, std 1.0: 0.23 best (0.1 loses 2.7 dB); std 1.3, 1.6, 2.0,
  2.5, 3.0: best near 0.15, 0.10, 0.085, 0.085, 0.08, gaining +0.24 / +0.31
  / +0.33 / +0.28 / +0.24 dB over 0.23; below about 0.06 every one of them
  loses fast (0.5-2.3 dB at 0.04 for std 2.0-3.0).

A smaller lambda inverts more of the spectrum and amplifies more noise. Our reading of
the difference (not measured): a camera-shake kernel's transfer function has zeros along lines, so the noise
it amplifies is concentrated there, structured, and the denoiser cannot tell
it from image detail. A Gaussian's falls off smoothly: the amplified noise is
spread over a ring of frequencies and the denoiser removes it. So the weight
is lowered only for a point-symmetric PSF whose transfer function has no
negative lobes (Gaussian-like; a disk or box PSF has them), to where the last
data step passes white noise with a root-mean-square gain of
`NOISE_GAIN` (the gain of the best lambda for std 1.0-1.6), but never
below `MIN_PRIOR_WEIGHT` (a gain of at most 1 / (2 sqrt(lambda)) = 1.7 at
any one frequency; the losses above start near 2.1).
"""

import numpy as np
from scipy import optimize

from kerasgen.plug_and_play._hqs import PRIOR_WEIGHT

# Root-mean-square gain of the last data step on white noise, for smooth PSFs.
NOISE_GAIN = 0.53
# Smallest weight the rule picks.
MIN_PRIOR_WEIGHT = 0.085
# A transfer function counts as having no negative lobes if it is nowhere
# below this (the truncation of a sampled Gaussian leaves ripples of a few
# thousandths; the first lobe of a disk PSF is about -0.13, of a box -0.22).
_LOBE_TOLERANCE = 0.02


def noise_gain(otf_power, alpha):
    """Root mean square over frequencies of the deconvolution step's gain.

    The data step ``x = (conj(K) Y + alpha Z) / (|K|^2 + alpha)`` passes white
    noise in ``y`` through ``conj(K) / (|K|^2 + alpha)``.

    Args:
        otf_power: ``|K|^2`` on a frequency grid (any layout).
        alpha: float > 0.

    Returns:
        ``sqrt(mean(|K|^2 / (|K|^2 + alpha)^2))``, a float.

    Example:

    >>> round(noise_gain(np.ones((4, 4)), 1.0), 3)
    0.5
    """
    return float(np.sqrt(np.mean(otf_power / (otf_power + alpha) ** 2)))


def is_smooth_psf(otf):
    """Whether a PSF is point-symmetric with no negative lobes in its OTF.

    Args:
        otf: the PSF's transfer function with the PSF centred on the origin
            (`_data_steps.psf_otf`), full or half (``rfft2``) spectrum.

    Returns:
        True if the OTF is real (a point-symmetric PSF) and nowhere below
        ``-0.02``.

    Example:

    >>> is_smooth_psf(np.array([1.0, 0.5, 0.1]))
    True
    >>> is_smooth_psf(np.array([1.0, -0.2 + 0j]))
    False
    """
    otf = np.asarray(otf)
    if np.max(np.abs(otf.imag)) > 1e-6:
        return False
    return bool(np.min(otf.real) >= -_LOBE_TOLERANCE)


def deblur_prior_weight(otf):
    """DPIR's lambda for deblurring with this PSF (see the module docstring).

    Args:
        otf: the PSF's centred transfer function on the solver's grid.

    Returns:
        `PRIOR_WEIGHT` (0.23) unless the PSF `is_smooth_psf`; then the
        weight in [`MIN_PRIOR_WEIGHT`, `PRIOR_WEIGHT`] whose `noise_gain`
        is `NOISE_GAIN`, or the nearer end of that range.

    Example:

    >>> from kerasgen.plug_and_play import _data_steps
    >>> from kerasgen.restoration import gaussian_psf
    >>> otf = _data_steps.psf_otf(gaussian_psf(9, 1.6), (256, 256), real=True)
    >>> round(deblur_prior_weight(otf), 2)
    0.1
    """
    if not is_smooth_psf(otf):
        return PRIOR_WEIGHT
    power = np.abs(otf) ** 2
    low, high = MIN_PRIOR_WEIGHT, PRIOR_WEIGHT
    if noise_gain(power, high) >= NOISE_GAIN:
        return high
    if noise_gain(power, low) <= NOISE_GAIN:
        return low
    # The gain falls as the weight grows: one root in between, in log scale.
    log_weight = optimize.brentq(lambda t: noise_gain(power, np.exp(t)) - NOISE_GAIN, np.log(low), np.log(high))
    return float(np.exp(log_weight))
