"""Non-blind deblurring (known PSF): BM3D deblurring, Richardson-Lucy, Wiener."""

import numpy as np

from kerasgen.restoration import _bm3d_compat
from kerasgen.restoration._checks import check_choice, check_int
from kerasgen.restoration._periodic import blurred_extension, zero_extension
from kerasgen.restoration._validation import check_image, check_psf, check_sigma
from kerasgen.restoration.degradations import BLUR_MODES
from kerasgen.restoration.noise_level import estimate

DEBLUR_METHODS = ("bm3d", "richardson_lucy", "wiener")

# Noise floor used by the regularised inverses: about the quantisation noise
# of an 8-bit image (1 / 255 / sqrt(12)); a zero sigma would mean a plain,
# unstable inverse filter.
_MIN_SIGMA = 1e-3
# scipy.ndimage boundary mode -> the np.pad mode that extends the image alike.
_PAD_MODES = {"wrap": "wrap", "reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "constant": "constant"}
# Boundary each method models natively (no padding needed).
_NATIVE_MODES = {"bm3d": "wrap", "wiener": "wrap", "richardson_lucy": "constant"}
# Keyword arguments that deblur passes to the method itself: given again in
# method_kwargs they would be passed twice.
_SET_BY_DEBLUR = {"bm3d": ("z", "sigma_psd"), "wiener": (), "richardson_lucy": ()}
# Extension in PSF widths: per axis (smooth periodic, for BM3D and Wiener),
# per side (np.pad, for Richardson-Lucy).
_PERIODIC_WIDTHS = 3
_PAD_WIDTHS = 2


def deblur(
    image, psf, method="bm3d", sigma=None, *, mode="wrap", channel_axis=None, check_range=True, **method_kwargs
):
    """Deblurs an image blurred by a known point-spread function (plus noise).

    Methods:

    - ``"bm3d"``: BM3D deblurring (``bm3d.bm3d_deblurring``: regularised
      inverse + BM3D, then regularised Wiener inverse + BM3D Wiener stage;
      needs ``pip install "kerasgen[bm3d]"``). Best quality. RGB images are
      deblurred per channel in BM3D's opponent colour space (bm3d 4.0.3's
      own multichannel path fails); a gray image stored as RGB (three
      identical channels) is deblurred as gray and copied to the three.
    - ``"wiener"``: ``skimage.restoration.wiener`` with
      ``balance=30 * sigma ** 2`` (override with ``balance=``).
    - ``"richardson_lucy"``: Richardson-Lucy as
      ``skimage.restoration.richardson_lucy`` (same ``num_iter=20``,
      ``clip=``, ``filter_epsilon=``; more iterations sharpen but amplify
      noise), with each update normalised at the image's border (skimage's
      is not, which darkens the border under its own zero-outside model) and
      an even-sized PSF centred as ``blur`` centres it. Negative input values
      are clipped to 0, as the method models photon counts.

    ``mode`` is the boundary model of the blur (as in ``blur``). Unless it is
    the method's own model, the image is extended accordingly before the
    method runs and the result is cropped back, which avoids strong
    artefacts: for the periodic methods (BM3D, Wiener; any ``mode`` but
    "wrap") by a smooth periodic extension (``np.pad`` in ``mode``, cross-faded
    so that the image wraps around without a jump, then made to look
    circularly blurred by ``psf``, as MATLAB's ``edgetaper``; 3 PSF widths per
    axis; for "constant", zeros around the blur, spilled into them, of a
    Richardson-Lucy estimate), for Richardson-Lucy (zero-padded; any
    ``mode`` but "constant") by ``np.pad`` in ``mode``, 2 PSF widths per side.

    Args:
        image: blurred (and noisy) float image, (H, W), (H, W, 1) or
            (H, W, 3); values may lie outside [0, 1].
        psf: 2-D point-spread function, e.g. ``gaussian_psf(9, 1.6)``; not
            larger than the image. It should sum to 1; otherwise it is
            divided by its sum (with a warning) for every method, since a
            blur does not change the mean brightness.
        method: one of ``DEBLUR_METHODS``.
        sigma: noise standard deviation in image units ([0, 1] scale). None
            estimates it. Values below 1e-3 (8-bit quantisation noise) are
            raised to 1e-3 for BM3D and Wiener. Not used by Richardson-Lucy.
        mode: keyword-only boundary model: "wrap" (default, periodic, as
            ``blur`` does by default), "reflect", "mirror", "nearest",
            "constant".
        channel_axis: keyword-only; see ``denoise``.
        check_range: keyword-only; see ``denoise``.
        **method_kwargs: passed to the underlying function (e.g.
            ``num_iter=30``, ``balance=0.01``, ``profile="refilter"``); not
            BM3D's ``z`` and ``sigma_psd``, which deblur sets itself.

    Returns:
        The deblurred image, same shape as ``image``, not clipped.

    Raises:
        ValueError: invalid image, PSF (e.g. with negative values), method,
            sigma or mode.
        TypeError: a keyword in ``method_kwargs`` that deblur sets itself.
        ImportError: ``method="bm3d"`` without the ``bm3d`` package.

    Example:

    >>> psf = gaussian_psf(9, 1.6)  # doctest: +SKIP
    >>> blurred = add_gaussian_noise(blur(clean, psf), 0.01, seed=0)  # doctest: +SKIP
    >>> sharp = deblur(blurred, psf, "wiener", sigma=0.01)  # doctest: +SKIP
    """
    array, layout = check_image(image, channel_axis=channel_axis, check_range=check_range)
    psf = check_psf(psf, array.shape, normalize=True)
    check_choice("method", method, DEBLUR_METHODS)
    for name in _SET_BY_DEBLUR[method]:
        if name in method_kwargs:
            raise TypeError(
                f"deblur sets {name} itself for method={method!r} (from its image, psf and sigma "
                f"arguments). Received: {name}={method_kwargs[name]!r}"
            )
    check_choice("mode", mode, BLUR_MODES)
    sigma = check_sigma(sigma)
    if sigma is None and method != "richardson_lucy":  # Richardson-Lucy does not use it
        sigma = estimate(array)
    native = _NATIVE_MODES[method]
    if mode == native:
        return layout.restore(_DEBLURRERS[method](array, psf, sigma, **method_kwargs))
    height, width = array.shape[:2]
    if native == "wrap":
        # A plain pad would leave a jump at the wrap-around, which the
        # circular inverse turns into ringing over the whole image (worse
        # than the blurred input for large motion kernels).
        extra = _PERIODIC_WIDTHS * max(psf.shape)
        if mode == "constant":
            # Zeros outside: the blur spills into a band around the image,
            # estimated from a Richardson-Lucy pilot (exact for this model).
            pilot = _richardson_lucy(array, psf, sigma)
            extended, (top, left) = zero_extension(array, pilot, psf, (extra, extra))
        else:
            extended, (top, left) = blurred_extension(array, psf, (extra, extra), _PAD_MODES[mode])
        array = extended.astype(array.dtype, copy=False)
    else:
        top = left = _PAD_WIDTHS * max(psf.shape)
        widths = [(top, top), (left, left)] + [(0, 0)] * (array.ndim - 2)
        array = np.pad(array, widths, mode=_PAD_MODES[mode])
    result = _DEBLURRERS[method](array, psf, sigma, **method_kwargs)
    return layout.restore(result[top : top + height, left : left + width])


def _per_channel(function, array):
    if array.ndim == 2:
        return function(array)
    return np.stack([function(array[..., c]) for c in range(array.shape[-1])], axis=-1)


def _bm3d(array, psf, sigma, **kwargs):
    _bm3d_compat.check_bm3d_size(array.shape)
    sigma = max(sigma, _MIN_SIGMA)
    if array.ndim == 2:
        # bm3d 4.0.3 mis-broadcasts 2-D input; a (H, W, 1) image works.
        return _bm3d_compat.bm3d_deblurring(array[..., np.newaxis], sigma, psf, **kwargs)
    if _bm3d_compat.is_gray_rgb(array):
        # Gray stored as RGB: the noise is the same in the three channels,
        # so the opponent transform's sigma / sqrt(3) would be wrong.
        gray = _bm3d_compat.bm3d_deblurring(array[..., :1], sigma, psf, **kwargs)
        return np.repeat(gray.reshape(array.shape[:2] + (1,)), 3, axis=-1)
    # Per channel in BM3D's opponent colour space (bm3d's multichannel
    # deblurring fails: it passes the whole pilot estimate to each channel).
    opponent, low, span, noise_scale, varying = _bm3d_compat.to_opponent(array)
    result = opponent.copy()
    for c in np.flatnonzero(varying):  # a constant channel stays constant
        channel = opponent[..., c : c + 1]
        result[..., c] = _bm3d_compat.bm3d_deblurring(channel, float(sigma * noise_scale[c]), psf, **kwargs)
    return _bm3d_compat.from_opponent(result, low, span)


def _wiener(array, psf, sigma, **kwargs):
    from skimage.restoration import wiener

    settings = {"balance": 30 * max(sigma, _MIN_SIGMA) ** 2, "clip": False}
    settings.update(kwargs)
    height, width = array.shape[:2]
    if height < 3 or width < 3:
        # skimage's 3 x 3 regulariser needs 3 px; the periodic image tiled
        # to 3 px has the same circular deconvolution.
        reps = (-(-3 // height), -(-3 // width)) + (1,) * (array.ndim - 2)
        return _wiener(np.tile(array, reps), psf, sigma, **kwargs)[:height, :width]
    return _per_channel(lambda channel: wiener(channel, psf, **settings), array)


def _richardson_lucy(array, psf, sigma, *, num_iter=20, clip=False, filter_epsilon=None):
    """``skimage.restoration.richardson_lucy``, normalised at the border.

    Each update is divided by the blur's adjoint applied to ones, so that the
    zero-outside ("constant") model holds up to the border (skimage's version
    darkens a band one PSF wide, 8-15 dB worse than the blurred input), and
    an even-sized PSF is centred as ``blur`` (``scipy.ndimage.convolve``)
    centres it (skimage's ``scipy.signal.convolve`` shifts it by one pixel).
    """
    from scipy.signal import convolve

    num_iter = check_int("num_iter", num_iter, minimum=0)
    dtype = array.dtype
    # ndimage.convolve places an even kernel's centre as this zero row/column does.
    psf = np.pad(psf, [(0, 1 - psf.shape[0] % 2), (0, 1 - psf.shape[1] % 2)]).astype(dtype)
    mirror = np.flip(psf)
    # A pixel no observation depends on (a PSF with zero taps) gets 0.
    norm = np.maximum(convolve(np.ones(array.shape[:2], dtype), mirror, mode="same"), 1e-12)

    def deconvolve(channel):
        channel = np.clip(channel, 0, None)
        estimate = np.full(channel.shape, 0.5, dtype)
        for _ in range(num_iter):
            blurred = convolve(estimate, psf, mode="same") + 1e-12
            ratio = channel / blurred
            if filter_epsilon:
                ratio = np.where(blurred < filter_epsilon, 0, ratio)
            estimate *= convolve(ratio, mirror, mode="same") / norm
        return np.clip(estimate, -1, 1) if clip else estimate

    return _per_channel(deconvolve, array)


_DEBLURRERS = {"bm3d": _bm3d, "richardson_lucy": _richardson_lucy, "wiener": _wiener}
