"""Classical denoising: BM3D, non-local means, total variation, wavelets, bilateral."""

import numpy as np

from kerasgen.restoration import _bm3d_compat
from kerasgen.restoration._checks import check_choice
from kerasgen.restoration._validation import check_image, check_sigma
from kerasgen.restoration.noise_level import estimate

DENOISE_METHODS = ("bm3d", "nl_means", "tv", "wavelet", "bilateral")
# Keyword arguments that denoise passes to the method itself (from its own
# arguments): given again in method_kwargs they would be passed twice.
_SET_BY_DENOISE = {"bm3d": ("z", "sigma_psd")}


def denoise(image, method="bm3d", sigma=None, *, channel_axis=None, check_range=True, **method_kwargs):
    """Removes additive white Gaussian noise from an image.

    Methods (defaults tuned on scikit-image sample images, sigma 15-50/255):

    - ``"bm3d"``: BM3D (needs the optional ``bm3d`` package,
      ``pip install "kerasgen[bm3d]"``). Gray: exactly
      ``bm3d.bm3d(image, sigma_psd=sigma)``; RGB: ``bm3d.bm3d_rgb``. Best
      quality, slowest (about 10 s for 512 x 512 gray on 2 cores). Needs
      images larger than 8 x 8. A gray image stored as RGB (three identical
      channels) is denoised as gray (``bm3d_rgb`` would be told a noise
      level sqrt(3) too small) and copied to the three channels; other RGB
      images whose opponent colour channels are constant, on which
      ``bm3d_rgb`` returns NaN, go through the same colour transform with a
      guard.
    - ``"nl_means"``: ``skimage.restoration.denoise_nl_means``, fast mode,
      ``patch_size=7, patch_distance=9, h=0.7 * sigma``.
    - ``"tv"``: ``denoise_tv_chambolle`` with ``weight=sigma``, run to
      convergence (``eps=1e-5``; skimage's default 2e-4 may stop too early).
    - ``"wavelet"``: ``denoise_wavelet``, BayesShrink, soft thresholds, ``sym4``
      wavelet (in YCbCr for RGB).
    - ``"bilateral"``: ``denoise_bilateral``; gray: `sigma_color=1.5 * sigma,
      sigma_spatial=1.5`, RGB: ``sigma_color=0.5 * sigma, sigma_spatial=3``.
      A weak baseline for Gaussian noise.

    ``method_kwargs`` override these settings and are passed to the
    underlying function (e.g. ``profile="refilter"`` for BM3D,
    ``patch_distance=11`` for NL-means); BM3D's ``z`` and ``sigma_psd`` are
    set from ``image`` and ``sigma``.

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3); values may lie
            outside [0, 1] (noisy images do).
        method: one of ``DENOISE_METHODS``.
        sigma: noise standard deviation in image units ([0, 1] scale, 25
            grey levels is 25 / 255). None estimates it with
            ``estimate_noise_sigma`` (images under 8 pixels in a side need
            it given, unless constant). 0 returns a copy of the image.
        channel_axis: keyword-only. None (default) treats (H, W) as gray and
            (H, W, 3) as RGB (channels last); give the axis for other
            layouts, e.g. ``channel_axis=0`` for a (3, H, W) array.
        check_range: keyword-only. True (default) refuses images clearly
            outside [0, 1] (below -1 or above 2: typically an image on the
            0-255 scale, which must be divided by 255 first). Pass False,
            or call ``kerasgen.set_range_check(False)``, for data that is
            really meant to be out of range.
        **method_kwargs: settings passed to the underlying function.

    Returns:
        The denoised image, same shape as ``image`` (not clipped to [0, 1]).
        The float dtype is the one the method returns (float64 for BM3D).

    Raises:
        ValueError: invalid image, method or sigma, an image clearly
            outside [0, 1] (see ``check_range``), or ``sigma=None`` for an
            image too small to estimate it from.
        TypeError: a ``method_kwargs`` entry that ``denoise`` sets itself
            (BM3D's ``z`` and ``sigma_psd``).
        ImportError: ``method="bm3d"`` without the ``bm3d`` package.

    Example:

    >>> from skimage import data, img_as_float
    >>> clean = img_as_float(data.camera())[:64, :64]
    >>> noisy = add_gaussian_noise(clean, 25 / 255, seed=0)  # doctest: +SKIP
    >>> restored = denoise(noisy, "nl_means", sigma=25 / 255)  # doctest: +SKIP
    """
    array, layout = check_image(image, channel_axis=channel_axis, check_range=check_range)
    check_choice("method", method, DENOISE_METHODS)
    for name in _SET_BY_DENOISE.get(method, ()):
        if name in method_kwargs:
            raise TypeError(
                f"denoise sets {name} itself for method={method!r} (from its image and "
                f"sigma arguments); pass the noise level as sigma=. Received: {name}={method_kwargs[name]!r}"
            )
    sigma = check_sigma(sigma)
    if sigma is None:
        sigma = estimate(array)
    if sigma == 0:
        return layout.restore(array.copy())
    result = _DENOISERS[method](array, sigma, **method_kwargs)
    return layout.restore(result)


def _bm3d(array, sigma, **kwargs):
    bm3d = _bm3d_compat.import_bm3d()
    _bm3d_compat.check_bm3d_size(array.shape)
    if array.ndim == 2:
        return bm3d.bm3d(array, sigma_psd=sigma, **kwargs)
    if _bm3d_compat.is_gray_rgb(array):
        # The noise is the same in the three channels, not independent as
        # bm3d_rgb assumes (it would take the luminance noise for sigma /
        # sqrt(3)): denoise one channel as gray.
        kwargs.pop("colorspace", None)
        gray = bm3d.bm3d(array[..., 0], sigma_psd=sigma, **kwargs)
        return np.repeat(gray[..., np.newaxis], 3, axis=-1)
    if not _bm3d_compat.has_constant_opponent_channel(array):
        return bm3d.bm3d_rgb(array, sigma, **kwargs)
    # bm3d_rgb would divide by zero (NaN output), e.g. on a noiseless gray
    # RGB image: same colour transform, constant channels left as they are.
    kwargs.pop("colorspace", None)
    opponent, low, span, noise_scale, varying = _bm3d_compat.to_opponent(array)
    result = opponent.copy()
    if varying.any():
        denoised = bm3d.bm3d(opponent[..., varying], list(sigma * noise_scale[varying]), **kwargs)
        result[..., varying] = denoised.reshape(result[..., varying].shape)
    return _bm3d_compat.from_opponent(result, low, span)


def _nl_means(array, sigma, **kwargs):
    from skimage.restoration import denoise_nl_means

    settings = {"patch_size": 7, "patch_distance": 9, "h": 0.7 * sigma, "sigma": sigma, "fast_mode": True}
    settings.update(kwargs)
    result = denoise_nl_means(array, channel_axis=-1 if array.ndim == 3 else None, **settings)
    return result.reshape(array.shape)  # skimage squeezes a side of 1 away


def _tv(array, sigma, **kwargs):
    from skimage.restoration import denoise_tv_chambolle

    # skimage's default stopping tolerance (eps=2e-4) can stop Chambolle's
    # iterations after a few steps (up to 7 dB lost at sigma 50/255).
    settings = {"weight": sigma, "eps": 1e-5}
    settings.update(kwargs)
    return denoise_tv_chambolle(array, channel_axis=-1 if array.ndim == 3 else None, **settings)


def _wavelet(array, sigma, **kwargs):
    from skimage.restoration import denoise_wavelet

    rgb = array.ndim == 3
    settings = {
        "sigma": sigma,
        "wavelet": "sym4",
        "method": "BayesShrink",
        "mode": "soft",
        "rescale_sigma": True,
        "convert2ycbcr": rgb,
    }
    settings.update(kwargs)
    return denoise_wavelet(array, channel_axis=-1 if rgb else None, **settings)


def _bilateral(array, sigma, **kwargs):
    from skimage.restoration import denoise_bilateral

    rgb = array.ndim == 3
    # Tuned on camera (gray) and astronaut (RGB) crops, sigma 15-50 / 255.
    if rgb:
        settings = {"sigma_color": 0.5 * sigma, "sigma_spatial": 3}
    else:
        settings = {"sigma_color": 1.5 * sigma, "sigma_spatial": 1.5}
    # Edge replication: skimage's default (mode="constant", cval=0) pulls
    # the pixels near the border towards black.
    settings.setdefault("mode", "edge")
    settings.update(kwargs)
    if not array.flags.writeable:  # skimage's Cython code refuses a read-only buffer
        array = array.copy()
    result = denoise_bilateral(array, channel_axis=-1 if rgb else None, **settings)
    if result is array:  # skimage returns a constant image itself: no result sharing the input
        result = array.copy()
    return result.reshape(array.shape)  # skimage squeezes a side of 1 away


_DENOISERS = {
    "bm3d": _bm3d,
    "nl_means": _nl_means,
    "tv": _tv,
    "wavelet": _wavelet,
    "bilateral": _bilateral,
}
