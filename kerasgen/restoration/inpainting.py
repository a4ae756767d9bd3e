"""Inpainting: filling missing pixels given a mask."""

import inspect

import numpy as np

from kerasgen.restoration._checks import check_choice
from kerasgen.restoration._validation import check_image

INPAINT_METHODS = ("biharmonic",)


def check_mask(mask, spatial_shape):
    """Validates an inpainting mask and returns it as a bool array.

    Args:
        mask: array-like of shape (H, W) (or (H, W, 1)); bool, or numbers
            that are all 0 or 1. True / 1 marks a missing pixel.
        spatial_shape: the image's (H, W).

    Returns:
        bool array of shape (H, W).

    Raises:
        ValueError: if the mask has the wrong shape, dtype or values.
    """
    try:
        array = np.asarray(mask)
    except (TypeError, ValueError):
        raise ValueError(f"mask must be a bool array of shape (H, W). Received: mask={mask!r}") from None
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.shape != tuple(spatial_shape):
        raise ValueError(
            f"mask must have the image's shape (H, W) = {tuple(spatial_shape)}. Received: mask.shape={array.shape}"
        )
    if array.dtype == np.bool_:
        return array
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"mask must be a bool array (True = missing). Received: mask.dtype={array.dtype}")
    other = array[~np.isin(array, (0, 1))]
    if other.size:
        raise ValueError(
            "mask must be bool, or contain only 0 and 1 (1 = missing). Received: "
            f"{other.size} other value(s), e.g. {other.flat[0].item()!r}"
        )
    return array.astype(bool)


def inpaint(image, mask, method="biharmonic", *, channel_axis=None, check_range=True, **method_kwargs):
    """Fills the missing pixels of an image.

    Method ``"biharmonic"``: ``skimage.restoration.inpaint_biharmonic``
    (smooth fill; good for scattered missing pixels and thin scratches, it
    does not invent texture). ``method_kwargs`` are passed to it (e.g.
    ``split_into_regions=True`` for large images with few holes).

    Args:
        image: float image, (H, W), (H, W, 1) or (H, W, 3). The values under
            the mask are ignored, but must be finite (fill NaNs with
            ``np.nan_to_num(image)`` first).
        mask: bool array (H, W), True where a pixel is missing (see
            ``random_mask``); 0/1 numbers are accepted.
        method: one of ``INPAINT_METHODS``.
        channel_axis: keyword-only; see ``denoise``.
        check_range: keyword-only; see ``denoise``.
        **method_kwargs: passed to the underlying function.

    Returns:
        The inpainted image, same shape as ``image``; known pixels unchanged.

    Raises:
        ValueError: invalid image, mask or method, or a mask marking every
            pixel as missing.
        TypeError: a keyword argument ``inpaint_biharmonic`` does not take
            (checked even when no pixel is missing).

    Example:

    >>> mask = random_mask(clean.shape, 0.3, seed=0)  # doctest: +SKIP
    >>> filled = inpaint(np.where(mask, 0, clean), mask)  # doctest: +SKIP
    """
    array, layout = check_image(image, channel_axis=channel_axis, check_range=check_range)
    check_choice("method", method, INPAINT_METHODS)
    mask = check_mask(mask, array.shape[:2])
    if mask.all():
        raise ValueError("mask marks every pixel as missing: there is nothing to inpaint from.")
    from skimage.restoration import inpaint_biharmonic

    # Checked here, not by skimage: with nothing missing it is never called.
    accepted = set(inspect.signature(inpaint_biharmonic).parameters) - {"image", "mask", "channel_axis"}
    unknown = sorted(set(method_kwargs) - accepted)
    if unknown:
        raise TypeError(
            f"inpaint(method={method!r}) passes keyword arguments to skimage.restoration.inpaint_biharmonic, "
            f"which takes {sorted(accepted)}. Received: {unknown}"
        )
    if not mask.any():
        return layout.restore(array.copy())
    result = inpaint_biharmonic(array, mask, channel_axis=-1 if array.ndim == 3 else None, **method_kwargs)
    return layout.restore(result)
