"""Seeded synthetic degradations: noise, blur, missing pixels, JPEG, resolution.

Every random function takes ``seed=`` (int) or ``rng=`` (``np.random.Generator``),
so that an experiment can be repeated exactly.
"""

import io
import math

import numpy as np

from kerasgen.restoration._checks import check_bool, check_choice, check_float, check_int, resolve_max_pixels
from kerasgen.restoration._validation import (
    check_image,
    check_psf,
    check_rng,
    check_sigma,
)

BLUR_MODES = ("wrap", "reflect", "nearest", "mirror", "constant")
# Largest Poisson peak: numpy's sampler refuses means above about 9.2e18
# (and at 1e18 the noise is 1e-9, invisible).
_MAX_PEAK = 1e18


def _check_in_unit_range(array, function):
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 1:
        raise ValueError(
            f"{function} needs image values in [0, 1]; clip the image first "
            f"(np.clip(image, 0, 1)). Received: min={low:g}, max={high:g}"
        )


def add_gaussian_noise(image, sigma, *, seed=None, rng=None, clip=False, channel_axis=None):
    """Adds white Gaussian noise of standard deviation ``sigma``.

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3).
        sigma: noise standard deviation in image units ([0, 1] scale; 25
            grey levels is 25 / 255).
        seed: int seed in [0, 2**32 - 1] for the noise (keyword-only).
        rng: ``np.random.Generator`` to draw from instead of ``seed``.
        clip: whether to clip the result to [0, 1]. Default False: the usual
            additive-noise benchmark setting, values may leave [0, 1].
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        Noisy image, same shape and float dtype as ``image`` (float32 for float16).

    Raises:
        ValueError: invalid image (also one clearly outside [0, 1], e.g. on
            the 0-255 scale, unless ``kerasgen.set_range_check(False)``),
            sigma, seed or rng.
        TypeError: ``clip`` is not a bool.

    Example:

    >>> noisy = add_gaussian_noise(image, 25 / 255, seed=0)  # doctest: +SKIP
    """
    array, layout = check_image(image, channel_axis=channel_axis, check_range=True)
    sigma = check_sigma(sigma, allow_none=False)
    clip = check_bool("clip", clip)
    generator = check_rng(seed, rng)
    noisy = array + generator.normal(0.0, sigma, array.shape)
    if clip:
        noisy = np.clip(noisy, 0, 1)
    return layout.restore(noisy.astype(array.dtype, copy=False))


def add_poisson_noise(image, peak, *, seed=None, rng=None, clip=False, channel_axis=None):
    """Adds Poisson (shot) noise: ``poisson(image * peak) / peak``.

    Args:
        image: float image in [0, 1], (H, W), (H, W, 1) or (H, W, 3).
        peak: expected photon count of a pixel of value 1, in (0, 1e18];
            lower is noisier (e.g. 10 very noisy, 1000 mild).
        seed: int seed in [0, 2**32 - 1] (keyword-only).
        rng: ``np.random.Generator`` to draw from instead of ``seed``.
        clip: whether to clip the result to [0, 1] (values may exceed 1).
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        Noisy image, same shape and float dtype as ``image`` (float32 for float16).

    Raises:
        ValueError: invalid image (or values outside [0, 1]), peak (also
            above 1e18), seed or rng.
        TypeError: ``clip`` is not a bool.

    Example:

    >>> import numpy as np
    >>> noisy = add_poisson_noise(np.full((8, 8), 0.5), 100, seed=0)
    >>> noisy.shape, noisy.dtype
    ((8, 8), dtype('float64'))
    """
    array, layout = check_image(image, channel_axis=channel_axis)
    peak = check_float(
        "peak",
        peak,
        minimum=0.0,
        open_minimum=True,
        maximum=_MAX_PEAK,
        hint=" The allowed range is (0, 1e18] (numpy cannot draw larger Poisson counts; at 1e18 the noise is 1e-9).",
    )
    clip = check_bool("clip", clip)
    _check_in_unit_range(array, "add_poisson_noise")
    generator = check_rng(seed, rng)
    noisy = generator.poisson(array.astype(np.float64) * peak) / peak
    if clip:
        noisy = np.clip(noisy, 0, 1)
    return layout.restore(noisy.astype(array.dtype, copy=False))


def add_salt_and_pepper(image, amount, *, salt_vs_pepper=0.5, seed=None, rng=None, channel_axis=None):
    """Sets a fraction ``amount`` of the pixels to white (salt) or black (pepper).

    Whole pixels are corrupted: for RGB all three channels of a hit pixel
    are set together. Each pixel is hit independently with probability
    ``amount``, so the number of hit pixels is about, not exactly,
    ``amount * H * W`` (``random_mask`` draws an exact count).

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3).
        amount: probability that a pixel is corrupted, in [0, 1].
        salt_vs_pepper: probability that a corrupted pixel is set to 1
            (else it is set to 0), in [0, 1].
        seed: int seed in [0, 2**32 - 1] (keyword-only).
        rng: ``np.random.Generator`` to draw from instead of ``seed``.
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        Corrupted image, same shape and float dtype as ``image`` (float32 for float16).

    Raises:
        ValueError: invalid image (also one clearly outside [0, 1], as for
            ``add_gaussian_noise``), amount, salt_vs_pepper, seed or rng.

    Example:

    >>> import numpy as np
    >>> noisy = add_salt_and_pepper(np.full((8, 8), 0.5), 0.25, seed=0)
    >>> sorted(set(noisy.ravel().tolist()))  # pepper, untouched, salt
    [0.0, 0.5, 1.0]
    """
    array, layout = check_image(image, channel_axis=channel_axis, check_range=True)
    amount = check_float("amount", amount, minimum=0.0, maximum=1.0)
    salt_vs_pepper = check_float("salt_vs_pepper", salt_vs_pepper, minimum=0.0, maximum=1.0)
    generator = check_rng(seed, rng)
    height, width = array.shape[:2]
    hit = generator.random((height, width)) < amount
    salt = generator.random((height, width)) < salt_vs_pepper
    noisy = array.copy()
    noisy[hit & salt] = 1
    noisy[hit & ~salt] = 0
    return layout.restore(noisy)


def gaussian_psf(size, std):
    """Builds a normalised square Gaussian point-spread function.

    Args:
        size: odd kernel side length (e.g. 9), so the kernel has a centre;
            at most the side of a square image of ``PIL.Image.MAX_IMAGE_PIXELS``
            pixels (9459 by default; no bound when that limit is None).
        std: standard deviation of the Gaussian, in pixels (> 0).

    Returns:
        float64 array of shape (size, size) summing to 1.

    Raises:
        ValueError: if size is not an odd positive integer (within that
            bound) or std is not > 0.

    Example:

    >>> psf = gaussian_psf(9, 1.6)
    >>> psf.shape, round(float(psf.sum()), 6)
    ((9, 9), 1.0)
    """
    # A PSF is applied to an image at least its size, and no image may hold
    # more pixels than the readers' limit: bound the side before allocating.
    limit = resolve_max_pixels()  # None when Pillow's limit is turned off
    size = check_int("size", size, minimum=1, maximum=None if limit is None else math.isqrt(int(limit)))
    if size % 2 == 0:
        raise ValueError(f"size must be odd so that the PSF has a centre pixel. Received: size={size}")
    std = check_float("std", std, minimum=0.0, open_minimum=True)
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    profile = np.exp(-0.5 * (offsets / std) ** 2)
    psf = np.outer(profile, profile)
    return psf / psf.sum()


def blur(image, psf, *, mode="wrap", channel_axis=None):
    """Convolves the image with a point-spread function (each channel alike).

    The default boundary mode ``"wrap"`` (periodic) is the image model that
    the FFT-based deblurring methods (``deblur(method="bm3d")`` and
    ``"wiener"``) assume, so synthetic experiments are consistent; use
    ``"reflect"`` or ``"mirror"`` for a more natural edge. The "blur"
    degradation of the training pipeline
    (``kerasgen.data.make_restoration_dataset``) is ``mode="mirror"`` (TF's
    "REFLECT" padding: the edge pixel is not repeated).

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3).
        psf: non-negative 2-D kernel (e.g. ``gaussian_psf(9, 1.6)``), odd
            sizes centred; one not summing to 1 is divided by its sum, with a
            ``UserWarning`` (as ``deblur`` does).
        mode: boundary mode of ``scipy.ndimage.convolve``: one of "wrap",
            "reflect", "nearest", "mirror", "constant" (zeros outside).
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        Blurred image, same shape and float dtype as ``image`` (float32 for float16).

    Raises:
        ValueError: invalid image, PSF or mode.

    Example:

    >>> import numpy as np
    >>> blurred = blur(np.full((16, 16), 0.5), gaussian_psf(9, 1.6))
    >>> blurred.shape, bool(np.allclose(blurred, 0.5))  # a flat image stays flat
    ((16, 16), True)
    """
    from scipy import ndimage

    array, layout = check_image(image, channel_axis=channel_axis)
    psf = check_psf(psf, array.shape, normalize=True)
    check_choice("mode", mode, BLUR_MODES)
    kernel = psf.astype(array.dtype)
    if array.ndim == 2:
        blurred = ndimage.convolve(array, kernel, mode=mode)
    else:
        blurred = np.stack(
            [ndimage.convolve(array[..., c], kernel, mode=mode) for c in range(array.shape[-1])], axis=-1
        )
    return layout.restore(blurred)


def random_mask(shape, fraction, *, seed=None, rng=None):
    """Draws a mask of missing pixels for inpainting.

    Exactly ``round(fraction * H * W)`` pixels are marked missing.

    Args:
        shape: (H, W), or an image shape (H, W, C) whose first two entries
            are used.
        fraction: fraction of missing pixels, in [0, 1].
        seed: int seed in [0, 2**32 - 1] (keyword-only).
        rng: ``np.random.Generator`` to draw from instead of ``seed``.

    Returns:
        bool array of shape (H, W), True where a pixel is missing.

    Raises:
        ValueError: invalid shape, fraction, seed or rng.

    Example:

    >>> mask = random_mask((64, 64), 0.3, seed=0)
    >>> int(mask.sum())
    1229
    """
    try:
        dims = tuple(check_int("shape entries", n, minimum=1) for n in shape)
    except TypeError:
        raise ValueError(f"shape must be a tuple (H, W) or (H, W, C). Received: shape={shape!r}") from None
    if len(dims) not in (2, 3):
        raise ValueError(f"shape must be a tuple (H, W) or (H, W, C). Received: shape={shape!r}")
    fraction = check_float("fraction", fraction, minimum=0.0, maximum=1.0)
    generator = check_rng(seed, rng)
    height, width = dims[:2]
    count = round(fraction * height * width)
    mask = np.zeros(height * width, dtype=bool)
    mask[generator.choice(height * width, size=count, replace=False)] = True
    return mask.reshape(height, width)


def jpeg_compress(image, quality=30, *, channel_axis=None):
    """Round-trips the image through an in-memory JPEG (Pillow).

    The image is quantised to 8 bits (values outside [0, 1] are clipped),
    encoded at ``quality`` and decoded back.

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3).
        quality: JPEG quality, 1 (worst) to 100.
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        The decoded image, same shape and float dtype as ``image`` (float32 for float16).

    Raises:
        ValueError: invalid image (also one clearly outside [0, 1], as for
            ``add_gaussian_noise``: it would come back all white) or quality.

    Example:

    >>> import numpy as np
    >>> compressed = jpeg_compress(np.full((8, 8, 3), 0.5, "float32"), 30)
    >>> compressed.shape, compressed.dtype
    ((8, 8, 3), dtype('float32'))
    """
    from PIL import Image

    array, layout = check_image(image, channel_axis=channel_axis, check_range=True)
    quality = check_int("quality", quality, minimum=1)
    if quality > 100:
        raise ValueError(f"quality must be between 1 and 100. Received: quality={quality}")
    pixels = np.round(np.clip(array, 0, 1) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        result = np.asarray(decoded).astype(array.dtype) / array.dtype.type(255)
    return layout.restore(result)


def downsample(image, factor, *, anti_aliasing=True, channel_axis=None):
    """Shrinks the image by an integer factor (``skimage.transform.resize``).

    Output pixel ``(i, j)`` covers input block ``[factor i, factor (i + 1))
    x [factor j, factor (j + 1))``: the last ``H % factor`` rows and ``W %
    factor`` columns, which fill no whole block, are dropped (resizing all
    ``H`` rows to ``H // factor`` would shrink by ``H / (H // factor)``, not
    ``factor``, and misalign ``plug_and_play.super_resolve``'s model).

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3).
        factor: integer factor >= 1; the output is (H // factor, W // factor).
        anti_aliasing: whether to low-pass filter before subsampling.
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        The smaller image, same float dtype (float32 for float16), channels kept.

    Raises:
        ValueError: invalid image or factor, or a factor larger than the image.
        TypeError: ``anti_aliasing`` is not a bool.

    Example:

    >>> import numpy as np
    >>> downsample(np.zeros((9, 10, 3)), 2).shape  # the 9th row is dropped
    (4, 5, 3)
    """
    from skimage.transform import resize

    array, layout = check_image(image, channel_axis=channel_axis)
    factor = check_int("factor", factor, minimum=1)
    anti_aliasing = check_bool("anti_aliasing", anti_aliasing)
    height, width = array.shape[:2]
    if factor > min(height, width):
        raise ValueError(
            f"factor must not exceed the image size. Received: factor={factor}, image size=({height}, {width})"
        )
    shape = (height // factor, width // factor) + array.shape[2:]
    array = array[: shape[0] * factor, : shape[1] * factor]  # whole blocks only
    result = resize(array, shape, order=1, anti_aliasing=anti_aliasing, preserve_range=True)
    return layout.restore(result.astype(array.dtype, copy=False))


def upsample(image, factor, *, order=3, channel_axis=None):
    """Enlarges the image by an integer factor (spline interpolation).

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3).
        factor: integer factor >= 1; the output is (H * factor, W * factor).
        order: spline order (0 nearest, 1 bilinear, 3 bicubic).
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        The larger image, same float dtype (float32 for float16), channels kept.

    Raises:
        ValueError: invalid image, factor or order.

    Example:

    >>> import numpy as np
    >>> upsample(np.zeros((4, 5)), 3).shape
    (12, 15)
    """
    from skimage.transform import resize

    array, layout = check_image(image, channel_axis=channel_axis)
    factor = check_int("factor", factor, minimum=1)
    order = check_int("order", order, minimum=0)
    if order > 5:
        raise ValueError(f"order must be between 0 and 5. Received: order={order}")
    shape = (array.shape[0] * factor, array.shape[1] * factor) + array.shape[2:]
    result = resize(array, shape, order=order, anti_aliasing=False, preserve_range=True)
    return layout.restore(result.astype(array.dtype, copy=False))
