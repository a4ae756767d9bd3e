"""Input checks shared by the restoration functions (numpy only).

Every public function of ``kerasgen.restoration`` runs its inputs through
these helpers, so that a wrong input fails early with a message saying what
was expected and what was received.
"""

import dataclasses
import numbers
import operator
import warnings

import numpy as np

from kerasgen.restoration._checks import check_float, check_seed
from kerasgen.restoration._range_check import check_data_range

_IMAGE_SHAPES = "(H, W) gray, (H, W, 1) gray or (H, W, 3) RGB"
_CONVERT_HINT = (
    "Read image files with kerasgen.restoration.read_image(path), or convert "
    "an integer array with skimage.util.img_as_float(image)."
)


@dataclasses.dataclass(frozen=True)
class ImageLayout:
    """How a validated image maps back to the caller's layout.

    Attributes:
        shape: the shape of the array the caller passed.
        channel_axis: the (non-negative) axis holding the channels in the
            caller's array, or ``None`` for a 2-D gray image.
    """

    shape: tuple
    channel_axis: object = None

    @property
    def is_rgb(self):
        """Whether the image has 3 colour channels."""
        return self.channel_axis is not None and self.shape[self.channel_axis] == 3

    def restore(self, result):
        """Gives ``result``, computed on the canonical array, the caller's layout.

        Args:
            result: array of shape (H, W) or (H, W, 3), as computed on the
                canonical array returned by ``check_image``.

        Returns:
            The array reshaped / transposed to the caller's layout.
        """
        if self.channel_axis is None:
            return result
        if result.ndim == 2:  # single-channel input (H, W, 1) or (1, H, W)...
            result = result[..., np.newaxis]
        return np.moveaxis(result, -1, self.channel_axis)


def check_image(image, *, name="image", channel_axis=None, check_range=False):
    """Validates an image and returns it in canonical (H, W) / (H, W, 3) form.

    Accepts float arrays (float16 is promoted to float32, other float dtypes are
    kept without copying). Values may lie outside [0, 1] (noisy images do) but
    must be finite; with ``check_range``, values clearly outside [0, 1] (below
    -1 or above 2, e.g. an image on the 0-255 scale) are refused
    (``kerasgen._checks.check_data_range``).

    Args:
        image: array-like image.
        name: the argument name used in error messages.
        channel_axis: ``None`` to infer the layout (2-D: gray; 3-D: channels
            last), or the axis of a 3-D array holding 1 or 3 channels.
        check_range: whether to refuse values clearly outside [0, 1] (also
            off when ``kerasgen.set_range_check(False)`` was called).

    Returns:
        Tuple ``(array, layout)``: the canonical array, shape (H, W) for gray
        or (H, W, 3) for RGB, and an ``ImageLayout`` whose ``restore`` method
        gives a result back the caller's shape.

    Raises:
        ValueError: if the dtype, shape or values are not supported.
    """
    try:
        array = np.asarray(image)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} must be a float array of shape {_IMAGE_SHAPES}. "
            f"Received an object that numpy cannot convert: {error}"
        ) from None
    _check_float_dtype(array, name)
    if array.dtype == np.float16:
        array = array.astype(np.float32)
    layout = _check_layout(array, name, channel_axis)
    if array.size == 0:
        raise ValueError(f"{name} must not be empty. Received: {name}.shape={array.shape}")
    finite = np.isfinite(array)
    if not finite.all():
        bad = int(array.size - np.count_nonzero(finite))
        raise ValueError(
            f"{name} must contain only finite values. Received: {bad} NaN or "
            f"infinite value(s) in an array of shape {array.shape}."
        )
    if check_range:
        check_data_range(array, name, (0.0, 1.0))
    if layout.channel_axis is not None:
        array = np.moveaxis(array, layout.channel_axis, -1)
        if array.shape[-1] == 1:
            array = array[..., 0]
    return array, layout


def _check_float_dtype(array, name):
    dtype = array.dtype
    if np.issubdtype(dtype, np.floating):
        return
    if dtype == np.bool_ or np.issubdtype(dtype, np.integer):
        raise ValueError(
            f"{name} must be a floating-point array with values in [0, 1]. "
            f"Received: {name}.dtype={dtype}. {_CONVERT_HINT}"
        )
    raise ValueError(
        f"{name} must be a real floating-point array with values in [0, 1]. "
        f"Received: {name}.dtype={dtype}."
    )


def _check_layout(array, name, channel_axis):
    shape = array.shape
    if channel_axis is None:
        if array.ndim == 2:
            return ImageLayout(shape, None)
        if array.ndim == 3:
            axis = 2
        else:
            raise ValueError(
                f"{name} must have shape {_IMAGE_SHAPES}. Received: "
                f"{name}.shape={shape} ({array.ndim}-D)."
            )
    else:
        if array.ndim != 3:
            raise ValueError(
                f"channel_axis is only valid for 3-D images; use "
                f"channel_axis=None for a 2-D gray image. Received: "
                f"channel_axis={channel_axis!r}, {name}.shape={shape}."
            )
        axis = _normalize_axis(channel_axis, 3)
    channels = shape[axis]
    if channels in (1, 3):
        return ImageLayout(shape, axis)
    if channels == 4:
        raise ValueError(
            f"{name} has 4 channels (RGBA); expected {_IMAGE_SHAPES}. Drop or "
            "composite the alpha channel first: read_image(path, "
            "alpha='composite'), or skimage.color.rgba2rgb(image) for an "
            f"array. Received: {name}.shape={shape}."
        )
    hint = ""
    if channel_axis is None and shape[0] in (1, 3):
        hint = " For a channels-first array pass channel_axis=0."
    raise ValueError(
        f"{name} must have shape {_IMAGE_SHAPES}; its channel axis has "
        f"{channels} channels. Received: {name}.shape={shape}.{hint}"
    )


def _normalize_axis(axis, ndim):
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"channel_axis must be an integer or None. Received: channel_axis={axis!r}")
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"channel_axis must be in [{-ndim}, {ndim - 1}] for a {ndim}-D "
            f"image. Received: channel_axis={axis}"
        )
    return axis % ndim


def check_sigma(sigma, *, name="sigma", allow_none=True):
    """Validates a noise standard deviation given in image units ([0, 1] scale).

    Args:
        sigma: the standard deviation, or None (when ``allow_none``).
        name: the argument name used in error messages.
        allow_none: whether None ("estimate it") is accepted.

    Returns:
        The sigma as a float, or None.

    Raises:
        TypeError: if sigma is not a number.
        ValueError: if sigma is negative, non-finite or above 1.
    """
    return check_float(
        name, sigma, minimum=0.0, maximum=1.0, allow_none=allow_none,
        hint=" It is in image units ([0, 1] scale): for a sigma in 8-bit grey "
        "levels divide by 255 (e.g. 25 -> 25 / 255 = 0.098).",
    )


def check_rng(seed=None, rng=None):
    """Builds the random generator from a ``seed`` or a given ``rng``.

    Args:
        seed: int seed in [0, 2**32 - 1] (``check_seed``), or None for fresh
            OS entropy.
        rng: a ``np.random.Generator`` to draw from (exclusive with ``seed``).

    Returns:
        A ``np.random.Generator``.

    Raises:
        TypeError: if ``seed`` is not an int (or is a bool).
        ValueError: if both are given, ``rng`` has the wrong type or ``seed``
            is out of range.
    """
    if rng is not None:
        if seed is not None:
            raise ValueError(f"Pass either seed= or rng=, not both. Received: seed={seed!r}, rng={rng!r}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                "rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)). "
                f"Received: rng={rng!r}"
            )
        return rng
    return np.random.default_rng(check_seed(seed))


# A PSF whose sum differs from 1 by more than this is normalised (with a
# warning): float32 kernels and rounded kernels sum to 1 within it.
PSF_SUM_TOLERANCE = 1e-3


def check_psf(psf, image_shape=None, *, normalize=False):
    """Validates a point-spread function (2-D, finite, non-negative, non-zero sum).

    Args:
        psf: array-like 2-D kernel.
        image_shape: shape of the canonical image it will be applied to, or
            None; the PSF may not be larger than the image.
        normalize: keyword-only; whether a PSF whose sum is not 1 (within
            ``PSF_SUM_TOLERANCE``) is divided by its sum, with a
            ``UserWarning``. A blur preserves brightness, so a PSF summing to
            10 would otherwise make a deblurred image 10 times darker.

    Returns:
        The PSF as a float64 array (summing to 1 when ``normalize``).

    Raises:
        ValueError: if the PSF is not a finite, non-negative 2-D real array
            with a positive sum, or is larger than the image.
    """
    try:
        array = np.asarray(psf)
    except (TypeError, ValueError):
        raise ValueError(f"psf must be a 2-D float array. Received: psf={psf!r}") from None
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise ValueError(f"psf must be a real 2-D array. Received: psf.dtype={array.dtype}")
    if array.ndim != 2 or array.size == 0:
        raise ValueError(
            "psf must be a non-empty 2-D array (e.g. gaussian_psf(9, 1.6)). "
            f"Received: psf.shape={array.shape}"
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError("psf must contain only finite values. Received: NaN or inf in psf.")
    if array.min() < 0:
        raise ValueError(
            "psf must not have negative values: a blur kernel is non-negative (Richardson-Lucy "
            "assumes it); clip it with np.clip(psf, 0, None). "
            f"Received: psf.min()={float(array.min()):g}"
        )
    if not array.sum() > 0:
        raise ValueError(f"psf must have a positive sum (normally 1). Received: psf.sum()={array.sum():g}")
    if image_shape is not None and (array.shape[0] > image_shape[0] or array.shape[1] > image_shape[1]):
        raise ValueError(
            "psf must not be larger than the image. Received: "
            f"psf.shape={array.shape}, image shape={tuple(image_shape)}"
        )
    total = float(array.sum())
    if normalize and abs(total - 1.0) > PSF_SUM_TOLERANCE:
        warnings.warn(
            f"psf should sum to 1 (a blur keeps the mean brightness); it was "
            f"divided by its sum. Received: psf.sum()={total:g}",
            UserWarning,
            stacklevel=3,
        )
        array = array / total
    return array
