"""The value-range check of image data: clearly out-of-range inputs are refused.

Shared by restoration, inference and the trainers' fit path (through
``kerasgen._checks``); turned off for a whole process with
``kerasgen.set_range_check(False)`` or ``KERASGEN_RANGE_CHECK=0``.
"""

import os

import numpy as np

from kerasgen.restoration._checks import check_bool, check_value_range

RANGE_CHECK_ENV = "KERASGEN_RANGE_CHECK"
_range_check_enabled = [True]


def set_range_check(enabled):
    """Turns kerasgen's value-range check of image data on or off.

    kerasgen refuses images whose values are clearly outside the range a
    function documents (e.g. a photo on the 0-255 scale given where [0, 1]
    is expected), because such inputs otherwise give silently wrong results
    (an all-white restoration, an unchanged "denoised" image, a negative
    VAE loss). Turn the check off only for data that really lies outside
    the range on purpose. The environment variable
    ``KERASGEN_RANGE_CHECK=0`` turns it off for a whole process too.

    Args:
        enabled: Bool (Python or numpy), whether the check runs.

    Returns:
        The previous setting (a bool).

    Raises:
        TypeError: If ``enabled`` is not a bool.

    Example:

    >>> import kerasgen
    >>> previous = kerasgen.set_range_check(False)
    >>> kerasgen.set_range_check(previous)
    False
    """
    enabled = check_bool("enabled", enabled)
    previous = range_check_enabled()
    _range_check_enabled[0] = enabled
    return previous


def range_check_enabled():
    """Whether the value-range check runs (see ``set_range_check``).

    Returns:
        False when turned off by ``set_range_check(False)`` or by the
        environment variable ``KERASGEN_RANGE_CHECK`` set to ``0``,
        ``false``, ``no`` or ``off``, else True.

    Example:

    >>> import kerasgen
    >>> previous = kerasgen.set_range_check(False)
    >>> kerasgen.range_check_enabled()
    False
    >>> _ = kerasgen.set_range_check(previous)
    """
    value = os.environ.get(RANGE_CHECK_ENV, "").strip().lower()
    if value in ("0", "false", "no", "off"):
        return False
    return _range_check_enabled[0]


def allowed_range(value_range, margin=1.0):
    """Widened bounds outside which values are "clearly" out of range.

    Args:
        value_range: Documented pair ``(lo, hi)``.
        margin: Tolerance as a fraction of ``hi - lo`` on either side: noisy
            images legitimately go a bit below ``lo`` and above ``hi``.

    Returns:
        The pair ``(lo - margin * span, hi + margin * span)`` of floats.
    """
    lo, hi = check_value_range(value_range)
    span = hi - lo
    return lo - margin * span, hi + margin * span


def rescale_hint(value_range):
    """A sentence telling how to bring 0-255 data to ``value_range``."""
    lo, hi = check_value_range(value_range)
    if (lo, hi) == (0.0, 1.0):
        how = "divide 8-bit data by 255 (image / 255.0) or 16-bit data by 65535"
    elif (lo, hi) == (-1.0, 1.0):
        how = "map 8-bit data with image / 127.5 - 1"
    else:
        how = f"map 8-bit data with image / 255 * {hi - lo:g} + {lo:g}"
    return (
        f"Values are expected in [{lo:g}, {hi:g}]: {how}. If the values are "
        "meant to be this far out of range, turn the check off with "
        "kerasgen.set_range_check(False) (or KERASGEN_RANGE_CHECK=0)."
    )


def check_data_range(array, name="image", value_range=(0.0, 1.0), *, margin=1.0):
    """Raises when ``array`` lies clearly outside its documented value range.

    Pure numpy (no TensorFlow). Values slightly out of range are accepted
    (noisy images are): only values beyond ``margin * (hi - lo)`` outside
    ``value_range`` are refused, e.g. for [0, 1] anything below -1 or above
    2, which catches images on the 0-255 scale. NaN and inf are not checked
    here. Does nothing when the check is off (``set_range_check``).

    Args:
        array: Array-like of numbers (not empty).
        name: Argument name used in the error message.
        value_range: Documented pair ``(lo, hi)``.
        margin: Tolerance as a fraction of ``hi - lo`` (see ``allowed_range``).

    Returns:
        None.

    Raises:
        ValueError: If a value is clearly outside ``value_range``; the
            message says how to rescale and how to turn the check off.
    """
    if not range_check_enabled():
        return
    array = np.asarray(array)
    if array.size == 0 or not np.issubdtype(array.dtype, np.number):
        return
    low_ok, high_ok = allowed_range(value_range, margin)
    finite = array[np.isfinite(array)] if np.issubdtype(array.dtype, np.floating) else array
    if finite.size == 0:
        return
    low, high = float(finite.min()), float(finite.max())
    if low < low_ok or high > high_ok:
        raise ValueError(
            f"{name} has values far outside the expected range. "
            f"{rescale_hint(value_range)} Received: {name} with min={low:g}, max={high:g}"
        )
