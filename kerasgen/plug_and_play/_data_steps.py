"""Closed-form data steps of half-quadratic splitting (numpy only).

Each step solves, for a linear degradation ``A``, an observation ``y``, the
current prior estimate ``z`` and a weight ``alpha > 0``, the normal equations

    (A^T A + alpha I) x = A^T y + alpha z,

that is ``x = argmin ||y - A x||^2 + alpha ||x - z||^2``, exactly:

* blur (``A = H``, circular convolution): one division in the Fourier domain;
* blur then decimation by ``s`` (``A = S H``, ``S`` keeps the pixels
  ``(s i, s j)``): the USRNet/DPIR solution, which inverts
  ``alpha I + S H H^T S^T`` (a circular convolution on the low-resolution grid
  whose spectrum is the mean of the ``s x s`` aliased copies of ``|H|^2``) and
  finishes with the Woodbury identity;
* missing pixels (``A`` = the known pixels): a per-pixel weighted mean.

Images are ``(H, W)`` or ``(H, W, C)``; every channel goes through the same
operator. Also here: the operators themselves (used by the tests to check
the steps against dense solves), the transfer function of a PSF as
``scipy.ndimage.convolve`` applies it, the kernel equivalent to
``kerasgen.restoration.downsample``, and (re-exported from
``kerasgen.restoration._periodic``) the smooth periodic extension that lets
the FFT steps handle non-periodic photos.
"""

import math

import numpy as np
from scipy import fft

# Shared with kerasgen.restoration.deblur (Wiener, BM3D); re-exported here.
from kerasgen.restoration._periodic import periodic_extension  # noqa: F401


def psf_otf(psf, shape, *, real=False):
    """Transfer function of a PSF applied by circular convolution.

    Matches ``scipy.ndimage.convolve(x, psf, mode="wrap")`` (and so
    ``kerasgen.restoration.blur(x, psf, mode="wrap")``): the kernel entry
    ``psf[a, b]`` multiplies the pixel at offset ``(a - kh // 2, b - kw // 2)``
    behind the output pixel, for odd and even kernel sizes alike.

    Args:
        psf: 2-D float array, not larger than `shape`.
        shape: ``(H, W)`` of the image grid.
        real: keyword-only; whether to return only the half spectrum that
            real images need (``rfft2`` layout, for `deconvolution_step`).

    Returns:
        complex128 array of shape `shape` (``(H, W // 2 + 1)`` if `real`):
        ``fft2`` (``rfft2``) of the circularly shifted kernel.
    """
    psf = np.asarray(psf, np.float64)
    return kernel_otf(psf, (psf.shape[0] // 2, psf.shape[1] // 2), shape, real=real)


def kernel_otf(kernel, origin, shape, *, real=False):
    """Transfer function of ``(k * x)[n] = sum_j k[j] x[n - (j - origin)]``.

    Args:
        kernel: 2-D float array.
        origin: ``(row, col)`` index of the kernel entry at offset zero.
        shape: ``(H, W)`` of the image grid (the kernel wraps around it).
        real: keyword-only; see `psf_otf`.

    Returns:
        complex128 array of shape `shape` (``(H, W // 2 + 1)`` if `real`).
    """
    kernel = np.asarray(kernel, np.float64)
    padded = np.zeros(shape, np.float64)
    rows = (np.arange(kernel.shape[0]) - origin[0]) % shape[0]
    cols = (np.arange(kernel.shape[1]) - origin[1]) % shape[1]
    np.add.at(padded, (rows[:, None], cols[None, :]), kernel)
    return fft.rfft2(padded) if real else fft.fft2(padded)


def downsample_kernel(scale):
    """The blur that `kerasgen.restoration.downsample` applies before decimating.

    ``downsample(x, s)`` is ``skimage.transform.resize(x, (H // s, W // s),
    order=1, anti_aliasing=True)``: a Gaussian filter of standard deviation
    ``(s - 1) / 2`` (truncated at 4 standard deviations) followed by linear
    interpolation at the centre of each ``s x s`` block, i.e. at input
    coordinate ``s i + (s - 1) / 2`` (between two pixels for even ``s``).
    Both are linear and separable, so the output pixel ``i`` is
    ``(k * x)[s i]`` for the kernel returned here: away from the borders
    (where resize mirrors the image) and for ``H``, ``W`` multiples of ``s``
    the match is exact to rounding.

    Args:
        scale: int >= 2.

    Returns:
        Tuple ``(kernel, origin)`` for :func:`kernel_otf`: a 2-D float64
        kernel summing to 1 and the index of its zero offset.
    """
    std = (scale - 1) / 2
    radius = int(4.0 * std + 0.5)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / std) ** 2)
    taps /= taps.sum()
    centre = (scale - 1) / 2
    first = math.floor(centre)
    frac = centre - first
    # Correlation weights w[d], y[i] = sum_d w[d] x[s i + d], d from first - radius.
    weights = np.zeros(2 * radius + 2)
    weights[:-1] += (1 - frac) * taps
    weights[1:] += frac * taps
    last = first + radius + 1  # largest d
    # Convolution kernel: k[last - d] = w[d], with origin `last`.
    profile = weights[::-1]
    return np.outer(profile, profile), (last, last)


def blur_periodic(image, otf):
    """Applies ``H`` (circular convolution with transfer function `otf`)."""
    return _ifft(_fft(image) * _expand(otf, image))


def decimate(image, scale):
    """Applies ``S``: keeps the pixels ``(scale i, scale j)``."""
    return image[::scale, ::scale]


def deconvolution_step(z, otf_conj_y, otf_power, alpha):
    """Solves ``(H^T H + alpha I) x = H^T y + alpha z`` in the Fourier domain.

    Real transforms: the spectra are halves, in ``rfft2`` layout (``(H, W //
    2 + 1)``; `psf_otf` with ``real=True``), which halves the work.

    Args:
        z: the prior estimate, ``(H, W)`` or ``(H, W, C)``.
        otf_conj_y: ``conj(otf) * rfft2(y)`` (precomputed once per solve).
        otf_power: ``|otf|^2``, half spectrum.
        alpha: float > 0.

    Returns:
        The solution ``x``, float64, shape of `z`.
    """
    numerator = otf_conj_y + alpha * real_fft(z)
    return real_ifft(numerator / (_expand(otf_power, z) + alpha), z.shape[:2])


def super_resolution_step(z, otf, otf_conj_upsampled_y, scale, alpha):
    """Solves ``((S H)^T S H + alpha I) x = (S H)^T y + alpha z``.

    USRNet/DPIR closed form: with ``r = H^T S^T y + alpha z``,
    ``x = (r - H^T S^T (alpha I + S H H^T S^T)^-1 S H r) / alpha``. On the
    low-resolution grid ``S H H^T S^T`` is a circular convolution whose
    spectrum is the mean of the ``scale**2`` aliased blocks of ``|otf|^2``;
    ``S^T`` (zero insertion) repeats a spectrum ``scale x scale`` times.

    Args:
        z: the prior estimate on the high-resolution grid, ``(H, W[, C])``
            with ``H`` and ``W`` multiples of `scale`.
        otf: transfer function of ``H`` on that grid.
        otf_conj_upsampled_y: ``conj(otf) * fft2(S^T y)``.
        scale: int >= 1.
        alpha: float > 0.

    Returns:
        The solution ``x``, float64, shape of `z`.
    """
    otf_full = _expand(otf, z)
    spectrum = otf_conj_upsampled_y + alpha * _fft(z)
    aliased = _block_mean(otf_full * spectrum, scale)
    power = _block_mean(np.abs(otf_full) ** 2, scale)
    correction = np.conj(otf_full) * _tile(aliased / (power + alpha), scale)
    return _ifft((spectrum - correction) / alpha)


def upsample_zeros(image, scale):
    """Applies ``S^T``: puts the pixels at ``(scale i, scale j)``, zeros elsewhere."""
    shape = (image.shape[0] * scale, image.shape[1] * scale) + image.shape[2:]
    result = np.zeros(shape, np.float64)
    result[::scale, ::scale] = image
    return result


def inpainting_step(z, y, known, alpha):
    """Solves ``(M + alpha I) x = M y + alpha z`` for the 0/1 diagonal ``M``.

    Args:
        z: the prior estimate, ``(H, W[, C])``.
        y: the observation (values under missing pixels are ignored).
        known: ``(H, W)`` float array, 1 for a known pixel, 0 for a missing one.
        alpha: float > 0.

    Returns:
        ``(known * y + alpha z) / (known + alpha)``: a known pixel moves
        towards ``y`` (to it as ``alpha -> 0``), a missing pixel takes ``z``.
    """
    weight = _expand(known, z)
    return (weight * y + alpha * z) / (weight + alpha)


def _fft(image):
    return fft.fft2(image, axes=(0, 1))


def _ifft(spectrum):
    return fft.ifft2(spectrum, axes=(0, 1)).real


def real_fft(image):
    """``rfft2`` over the first two axes (half spectrum of a real image)."""
    return fft.rfft2(image, axes=(0, 1))


def real_ifft(spectrum, shape):
    """Inverse of `real_fft` for an image of ``shape`` ``(H, W)``."""
    return fft.irfft2(spectrum, s=shape, axes=(0, 1))


def _expand(array2d, like):
    """Adds a trailing channel axis to a 2-D array when `like` has channels."""
    return array2d if like.ndim == 2 else array2d[..., np.newaxis]


def _block_mean(spectrum, scale):
    """Mean of the ``scale x scale`` blocks of a spectrum (aliasing of ``S``)."""
    height, width = spectrum.shape[0] // scale, spectrum.shape[1] // scale
    blocks = spectrum.reshape((scale, height, scale, width) + spectrum.shape[2:])
    return blocks.mean(axis=(0, 2))


def _tile(spectrum, scale):
    """Repeats a low-resolution spectrum ``scale x scale`` times (``S^T``)."""
    return np.tile(spectrum, (scale, scale) + (1,) * (spectrum.ndim - 2))
