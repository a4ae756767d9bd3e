"""Argument checks shared by every kerasgen module (pure Python and numpy).

The one implementation of kerasgen's validation layer. It lives inside
``kerasgen.restoration`` because that package imports nothing from the rest
of kerasgen; the Keras side imports these checks through ``kerasgen._checks``,
which re-exports them and adds the checks that only the Keras side needs.

Each check raises with the message convention of kerasgen (and Keras): what
was expected, then ``Received: name=value``.
"""

import math
import numbers
import os

import numpy as np

# Seeds are unsigned 32-bit ints: the range of numpy's legacy seeding and of
# keras.random.SeedGenerator on every backend.
MAX_SEED = 2**32 - 1


def check_int(name, value, *, minimum=None, maximum=None, allow_none=False, expected=None):
    """Checks that ``value`` is an int (not a bool) within optional bounds.

    Args:
        name: Argument name used in the error message.
        value: The value to check (Python or numpy integer).
        minimum: Optional smallest allowed value.
        maximum: Optional largest allowed value.
        allow_none: Whether None is accepted (and returned).
        expected: Optional wording of what is expected, used in both errors
            (e.g. "a positive int"); default "an integer" for a wrong type
            and ">= minimum" / "<= maximum" for a value out of bounds.

    Returns:
        ``value`` as a Python int (or None).

    Raises:
        TypeError: If ``value`` is not an integer.
        ValueError: If ``value`` is out of bounds.

    Example:

    >>> check_int("batch_size", 8, minimum=1)
    8
    >>> check_int("batch_size", "8")
    Traceback (most recent call last):
    ...
    TypeError: batch_size must be an integer. Received: batch_size='8'
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {expected or 'an integer'}. Received: {name}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be {expected or f'>= {minimum}'}. Received: {name}={value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be {expected or f'<= {maximum}'}. Received: {name}={value!r}")
    return int(value)


def check_positive_int(name, value):
    """Checks that ``value`` is an int >= 1 (``check_int`` with that wording).

    Raises:
        TypeError: If ``value`` is not an integer.
        ValueError: If ``value < 1``.
    """
    return check_int(name, value, minimum=1, expected="a positive int")


def check_float(
    name,
    value,
    *,
    minimum=None,
    maximum=None,
    open_minimum=False,
    open_maximum=False,
    allow_none=False,
    hint="",
    expected=None,
):
    """Checks a finite real number within optional bounds.

    Args:
        name: Argument name used in the error message.
        value: The value to check (Python or numpy real; not a bool).
        minimum: Optional lower bound (included unless ``open_minimum``).
        maximum: Optional upper bound (included unless ``open_maximum``).
        open_minimum: Whether ``value == minimum`` is refused.
        open_maximum: Whether ``value == maximum`` is refused.
        allow_none: Whether None is accepted (and returned).
        hint: Sentence added to the message of an out-of-range error.
        expected: Optional wording of what is expected, used in every
            error (e.g. "a float in [0, 1)").

    Returns:
        ``value`` as a Python float (or None).

    Raises:
        TypeError: If ``value`` is not a real number.
        ValueError: If it is not finite (also an int too large for a
            float, e.g. ``10**400``) or out of bounds.

    Example:

    >>> check_float("rate", 0.5, minimum=0, maximum=1, open_maximum=True)
    0.5
    >>> check_float("rate", 1, minimum=0, maximum=1, open_maximum=True)
    Traceback (most recent call last):
    ...
    ValueError: rate must be < 1. Received: rate=1.0
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected or 'a float (a real number)'}. Received: {name}={value!r}")
    overflow = False
    try:
        value = float(value)
    except OverflowError:  # an int too large for a float, e.g. 10**400
        overflow = True
    number = (math.inf if value > 0 else -math.inf) if overflow else value
    if not (math.isfinite(number) or overflow):
        raise ValueError(f"{name} must be {expected or 'finite'}. Received: {name}={value!r}")
    too_low = minimum is not None and (number <= minimum if open_minimum else number < minimum)
    too_high = maximum is not None and (number >= maximum if open_maximum else number > maximum)
    if too_low or too_high:
        if expected is None and too_low:
            expected = f"{'>' if open_minimum else '>='} {minimum:g}"
        elif expected is None:
            expected = f"{'<' if open_maximum else '<='} {maximum:g}"
        raise ValueError(f"{name} must be {expected}.{hint} Received: {name}={value!r}")
    if overflow:  # a huge int within the (missing) bounds
        raise ValueError(f"{name} must be {expected or 'finite'}. Received: {name}={value!r}")
    return number


def check_bool(name, value):
    """Checks that ``value`` is a bool (Python or numpy).

    Returns:
        ``value`` as a Python bool.

    Raises:
        TypeError: If ``value`` is not a bool (1 and 0 are refused too).
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool. Received: {name}={value!r}")
    return bool(value)


def check_str(name, value):
    """Checks that ``value`` is a non-empty str.

    Returns:
        ``value``.

    Raises:
        TypeError: If ``value`` is not a str.
        ValueError: If it is empty.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a non-empty str. Received: {name}={value!r}")
    if not value:
        raise ValueError(f"{name} must be a non-empty str. Received: {name}={value!r}")
    return value


def check_choice(name, value, choices):
    """Checks that ``value`` is one of ``choices``.

    Args:
        name: Argument name used in the error message.
        value: The value to check.
        choices: The valid values (strings).

    Returns:
        ``value``.

    Raises:
        ValueError: Listing the valid choices (a wrong type is an unknown
            choice too).

    Example:

    >>> check_choice("mode", "wrap", ("wrap", "reflect"))
    'wrap'
    """
    if not isinstance(value, str) or value not in choices:
        valid = ", ".join(repr(choice) for choice in choices)
        if isinstance(value, str):
            received = repr(value)
        elif hasattr(value, "shape") and hasattr(value, "dtype"):  # an image or PSF in the wrong place
            received = f"an array of shape {tuple(value.shape)}"
        else:
            text = repr(value)
            received = text if len(text) <= 80 else f"{text[:77]}..."
        raise ValueError(f"Unknown {name} {received}. Expected one of: {valid}. Received: {name}={received}")
    return value


def check_interval(name, value, minimum, maximum, *, integer=False):
    """Checks a pair ``(low, high)`` with ``minimum <= low <= high <= maximum``.

    Args:
        name: Argument name used in the error message.
        value: The pair to check, e.g. ``sigma_range=(0, 0.2)``.
        minimum: Smallest allowed ``low``.
        maximum: Largest allowed ``high``.
        integer: Whether both ends must be integers.

    Returns:
        ``(low, high)`` as floats (ints when ``integer``).

    Raises:
        ValueError: If ``value`` is not such a pair.

    Example:

    >>> check_interval("sigma_range", (0, 0.2), 0.0, 1.0)
    (0.0, 0.2)
    """
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError, OverflowError):
        low = high = math.nan
    if not (minimum <= low <= high <= maximum):
        raise ValueError(
            f"{name} must be a pair (low, high) with {minimum} <= low <= high "
            f"<= {maximum}. Received: {name}={value!r}"
        )
    if not integer:
        return low, high
    if low != int(low) or high != int(high):
        raise ValueError(f"{name} must be a pair of ints. Received: {name}={value!r}")
    return int(low), int(high)


def check_seed(seed):
    """Checks that ``seed`` is None or an int in [0, 2**32 - 1].

    The range every random generator kerasgen seeds accepts (numpy's,
    ``keras.random.SeedGenerator``, ``keras.utils.set_random_seed``).

    Args:
        seed: The value to check (Python or numpy int; not a bool).

    Returns:
        ``seed`` (None or a Python int).

    Raises:
        TypeError: If ``seed`` is neither None nor an int (bools are refused).
        ValueError: If ``seed`` is negative or >= 2**32.

    Example:

    >>> check_seed(np.int64(3))
    3
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be an int in [0, 2**32 - 1] or None. Received: seed=-1
    """
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int or None. Received: seed={seed!r}")
    return check_int("seed", seed, minimum=0, maximum=MAX_SEED, expected="an int in [0, 2**32 - 1] or None")


def check_value_range(value_range, name="value_range"):
    """Checks that ``value_range`` is a pair ``(lo, hi)`` of finite numbers, lo < hi.

    Args:
        value_range: The value to check, e.g. ``(-1, 1)``.
        name: Argument name used in the error message.

    Returns:
        The pair ``(lo, hi)`` as Python floats.

    Raises:
        ValueError: If ``value_range`` is not such a pair.
    """
    lo = hi = math.nan
    if (
        isinstance(value_range, (tuple, list))
        and len(value_range) == 2
        and not any(isinstance(v, (bool, np.bool_)) for v in value_range)
    ):
        try:
            lo, hi = float(value_range[0]), float(value_range[1])
        except (TypeError, ValueError, OverflowError):
            pass
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(
            f"{name} must be a pair (lo, hi) of finite numbers with lo < hi, "
            f"e.g. (-1, 1). Received: {name}={value_range!r}"
        )
    return lo, hi


# --------------------------------------------------------------------------
# Pixel-count limit of the image readers (decompression bombs).


def resolve_max_pixels(max_pixels=None):
    """The pixel-count limit of kerasgen's image readers.

    Args:
        max_pixels: An int >= 1, or None for Pillow's limit
            ``PIL.Image.MAX_IMAGE_PIXELS`` (about 89.5 million pixels by
            default; setting it to None there turns the limit off everywhere).

    Returns:
        The limit (an int), or None for no limit.

    Raises:
        TypeError: If ``max_pixels`` is not an int or None.
        ValueError: If ``max_pixels`` < 1.
    """
    if max_pixels is not None:
        return check_int("max_pixels", max_pixels, minimum=1)
    from PIL import Image

    return Image.MAX_IMAGE_PIXELS


def check_pixel_count(height, width, path, max_pixels=None):
    """Refuses an image whose header declares more pixels than the limit.

    Called before decoding, so that a small file declaring a huge image
    (a "decompression bomb") is refused without allocating its memory.

    Args:
        height: Declared height in pixels.
        width: Declared width in pixels.
        path: The file, named in the error message.
        max_pixels: The limit, as for ``resolve_max_pixels``.

    Raises:
        ValueError: If ``height * width`` exceeds the limit; the message says
            how to raise it.
    """
    limit = resolve_max_pixels(max_pixels)
    pixels = int(height) * int(width)
    if limit is not None and pixels > limit:
        raise ValueError(
            f"Cannot read image {os.fspath(path)!r}: it declares {int(height)} x "
            f"{int(width)} = {pixels} pixels, more than the limit of {limit} "
            "(protection against decompression bombs). If the file is "
            "trusted, pass a larger max_pixels= to read_image, or raise the "
            "limit for every reader with PIL.Image.MAX_IMAGE_PIXELS = N (None "
            f"turns it off). Received: max_pixels={max_pixels!r}"
        )
