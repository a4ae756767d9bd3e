"""Noise level estimation: how much Gaussian noise an image carries.

Two estimators of the standard deviation of additive white Gaussian noise:

- ``"weak_texture"`` (default): Liu, Tanaka and Okutomi, "Single-image noise
  level estimation for blind denoising", IEEE TIP 2013. It keeps the image
  patches whose gradient energy is what noise alone would give (weak
  texture), and takes the smallest eigenvalue of their covariance: along
  that direction the patches hold noise only. Three rounds, each with the
  threshold of the previous estimate. The smallest eigenvalue of a sample
  covariance falls short of the noise variance, by ``(1 - sqrt(49 / n))**2``
  for ``n`` patches of pure noise (Marchenko-Pastur); dividing it by
  ``1 - sqrt(49 / n)`` (chosen on the 8 validation photos, 4 of the test
  photos below and 5 skimage images) brings the mean estimate within 1.5%
  of the truth at 15-50 grey levels for 4,000 to 150,000 patches (the
  patches' selection, itself biased low, and the image detail left in them,
  biased high, take up the rest).
- ``"wavelet"``: ``skimage.restoration.estimate_sigma``, the median absolute
  deviation of the finest diagonal wavelet coefficients (Donoho 1995). Image
  detail leaks into those coefficients, so it overestimates the noise of
  textured or lightly noisy images.

Measured by ``benchmarks/noise_estimation.py`` on the 24 held-out ``cbsd432``
test photos (grey, 321 x 481) with noise of standard deviation 2 / 5 / 15 /
25 / 50 (8-bit scale): the weak-texture estimate is 1.08 / 1.03 / 1.01 / 1.01 /
1.00 times the truth, the wavelet one 1.95 / 1.33 / 1.06 / 1.02 / 1.00; the
shipped grey denoiser told the weak-texture estimate restores within 0.03 dB
of the same told the truth, told the wavelet one 1.9 / 0.64 / 0.11 dB worse
at 2 / 5 / 15.
"""

import functools
import math
import warnings

import numpy as np

from kerasgen.restoration._checks import check_choice
from kerasgen.restoration._validation import check_image

NOISE_ESTIMATORS = ("weak_texture", "wavelet")
# Liu et al.'s settings: 7 x 7 patches, a 1 - 1e-6 quantile for the
# weak-texture threshold, 3 rounds.
_PATCH = 7
_CONFIDENCE = 1 - 1e-6
_ROUNDS = 3
# Patches are taken every `stride` pixels, the smallest stride that keeps at
# most this many (the estimate needs thousands, not millions).
_MAX_PATCHES = 40_000
# Images with fewer patches (under about 70 x 70) get the wavelet estimate;
# a round keeps at least this many (the weakest, if fewer pass).
_MIN_PATCHES = 4_000
# Smallest side the noise level is estimated from: the wavelet estimate
# needs diagonal detail in both directions (it is ~0 for a one-pixel-thin
# image), and already varies by about 25% from one 8 x 8 image to another.
_MIN_SIDE = 8


def estimate_noise_sigma(image, *, method="weak_texture", channel_axis=None):
    """Estimates the Gaussian noise standard deviation of an image.

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3) (noisy values may
            lie slightly outside [0, 1]).
        method: keyword-only; ``"weak_texture"`` (default; Liu et al. 2013)
            or ``"wavelet"`` (``skimage.restoration.estimate_sigma``). See the
            module docstring for how they compare.
        channel_axis: keyword-only; see ``kerasgen.restoration.denoise``.

    Returns:
        The estimated sigma in image units ([0, 1] scale), a finite float
        >= 0; for an RGB image the mean of the channels' estimates. 0 for a
        constant image (of any size) or one without any diagonal detail.

    Raises:
        ValueError: invalid image (also one clearly outside [0, 1], e.g. on
            the 0-255 scale, whose estimate would be 255 times too large for
            the denoisers) or method, or a non-constant image smaller than
            8 pixels in a side (too small to estimate from: give the noise
            level with ``sigma=`` to the function that needs it).

    Example:

    >>> from skimage import data, img_as_float
    >>> from kerasgen.restoration import add_gaussian_noise
    >>> noisy = add_gaussian_noise(img_as_float(data.camera()), 25 / 255, seed=0)
    >>> round(estimate_noise_sigma(noisy) * 255)
    25
    """
    array, _ = check_image(image, channel_axis=channel_axis, check_range=True)
    check_choice("method", method, NOISE_ESTIMATORS)
    return estimate(array, method)


def estimate(array, method="weak_texture"):
    """`estimate_noise_sigma` of a validated (H, W) or (H, W, C) array."""
    if array.min() == array.max():  # constant: no noise (also a 1 x 1 image)
        return 0.0
    height, width = array.shape[:2]
    if min(height, width) < _MIN_SIDE:
        raise ValueError(
            f"The noise level cannot be estimated from an image smaller than {_MIN_SIDE} "
            f"pixels in a side: give it with sigma= (image units, e.g. sigma=25 / 255). "
            f"Received: image size ({height}, {width})"
        )
    channels = array[..., np.newaxis] if array.ndim == 2 else array
    estimator = _wavelet_sigma if method == "wavelet" else _weak_texture_sigma
    sigma = float(np.mean([estimator(channels[..., c]) for c in range(channels.shape[-1])]))
    if not math.isfinite(sigma):  # not expected for finite images: never pass NaN on
        raise ValueError(
            "The noise level estimated from the image is not finite: give it with "
            f"sigma= (image units, e.g. sigma=25 / 255). Received: estimate={sigma!r}"
        )
    return sigma


def _wavelet_sigma(channel):
    """skimage's wavelet estimate for one (H, W) channel; 0 without diagonal detail."""
    from skimage.restoration import estimate_sigma

    with warnings.catch_warnings():
        # The channel is grey by construction: skimage's "If this is a color
        # image" warning (last axis <= 4) does not apply; a median over no
        # non-zero coefficient (noiseless data) warns and gives NaN.
        warnings.filterwarnings("ignore", message="image is size", category=UserWarning)
        warnings.filterwarnings("ignore", message="Mean of empty slice", category=RuntimeWarning)
        warnings.filterwarnings("ignore", message="invalid value encountered", category=RuntimeWarning)
        sigma = float(estimate_sigma(channel, channel_axis=None))
    return 0.0 if math.isnan(sigma) else sigma


def _weak_texture_sigma(channel):
    """Liu et al.'s estimate for one channel (the wavelet one if it is too small)."""
    # Patches every `stride` pixels: enough of them (as many as at stride 1
    # up to about 200 x 200 pixels), not millions.
    channel = np.asarray(channel, np.float64)
    height, width = channel.shape
    positions = max(height - _PATCH + 1, 0) * max(width - _PATCH + 1, 0)
    if positions < _MIN_PATCHES:
        return _wavelet_sigma(channel)
    stride = max(1, int(np.ceil(np.sqrt(positions / _MAX_PATCHES))))
    patches = np.lib.stride_tricks.sliding_window_view(channel, (_PATCH, _PATCH))[::stride, ::stride]
    patches = patches.reshape(-1, _PATCH * _PATCH)
    texture = _gradient_energy(channel)[::stride, ::stride].ravel()
    variance = _smallest_eigenvalue(patches)
    for _ in range(_ROUNDS - 1):
        weak = texture < variance * _texture_threshold()
        if weak.sum() < _MIN_PATCHES:  # the weakest _MIN_PATCHES instead
            weak = np.argpartition(texture, _MIN_PATCHES - 1)[:_MIN_PATCHES]
        patches, texture = patches[weak], texture[weak]
        variance = _smallest_eigenvalue(patches)
    return float(np.sqrt(max(variance, 0.0)))


def _gradient_energy(channel):
    """Per 7 x 7 patch: the sum of its squared central differences, both axes."""
    horizontal = ((channel[:, 2:] - channel[:, :-2]) / 2) ** 2
    vertical = ((channel[2:, :] - channel[:-2, :]) / 2) ** 2
    return _box_sum(horizontal, (_PATCH, _PATCH - 2)) + _box_sum(vertical, (_PATCH - 2, _PATCH))


def _box_sum(array, size):
    """Sums over every ``size`` window (valid positions), by cumulative sums."""
    total = np.pad(array, ((1, 0), (1, 0))).cumsum(axis=0).cumsum(axis=1)
    rows, cols = size
    return total[rows:, cols:] - total[:-rows, cols:] - total[rows:, :-cols] + total[:-rows, :-cols]


def _smallest_eigenvalue(patches):
    """Smallest eigenvalue of the patches' second moments, divided by ``1 - sqrt(49 / n)``.

    Liu et al. take the smallest eigenvalue; the division is explained in
    the module docstring.
    """
    smallest = np.linalg.eigvalsh(patches.T @ patches / (len(patches) - 1))[0]
    return float(smallest / (1 - np.sqrt(patches.shape[1] / len(patches))))


@functools.cache
def _texture_threshold():
    """Liu et al.'s tau_0, a gamma quantile.

    The gradient energy of a pure-noise patch of unit variance stays below
    it with probability `_CONFIDENCE`.
    """
    from scipy.special import gammaincinv

    gradient = np.zeros((2 * _PATCH * (_PATCH - 2), _PATCH * _PATCH))
    row = 0
    for i in range(_PATCH):
        for j in range(_PATCH - 2):  # horizontal differences, then vertical ones
            gradient[row, i * _PATCH + j], gradient[row, i * _PATCH + j + 2] = -0.5, 0.5
            gradient[row + 1, j * _PATCH + i], gradient[row + 1, (j + 2) * _PATCH + i] = -0.5, 0.5
            row += 2
    normal = gradient.T @ gradient
    rank, trace = np.linalg.matrix_rank(normal), np.trace(normal)
    return float(2 * trace / rank * gammaincinv(rank / 2, _CONFIDENCE))
