"""Argument checks shared by kerasgen modules (pure Python, no TensorFlow).

Each check raises with the message convention of kerasgen: what was expected,
then ``Received: name=value``.
"""

import math
import numbers


def check_int(name, value, *, minimum=None):
    """Checks that `value` is an int (not a bool), optionally >= `minimum`.

    Args:
        name: Argument name used in the error message.
        value: The value to check (Python or numpy integer).
        minimum: Optional smallest allowed value.

    Returns:
        `value` as a Python int.

    Raises:
        TypeError: If `value` is not an integer.
        ValueError: If `value < minimum`.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer. Received: {name}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}. Received: {name}={value!r}")
    return int(value)


def check_seed(seed):
    """Checks that `seed` is None or an int.

    Args:
        seed: The value to check.

    Returns:
        `seed` (None or a Python int).

    Raises:
        TypeError: If `seed` is neither None nor an int.
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int or None. Received: seed={seed!r}")
    return int(seed)


def check_value_range(value_range, name="value_range"):
    """Checks that `value_range` is a pair ``(lo, hi)`` of finite numbers, lo < hi.

    Args:
        value_range: The value to check, e.g. ``(-1, 1)``.
        name: Argument name used in the error message.

    Returns:
        The pair ``(lo, hi)`` as Python floats.

    Raises:
        ValueError: If `value_range` is not such a pair.
    """
    lo = hi = math.nan
    if isinstance(value_range, (tuple, list)) and len(value_range) == 2:
        try:
            lo, hi = float(value_range[0]), float(value_range[1])
        except (TypeError, ValueError):
            pass
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(
            f"{name} must be a pair (lo, hi) of finite numbers with lo < hi, "
            f"e.g. (-1, 1). Received: {name}={value_range!r}"
        )
    return lo, hi


def check_jit_compile(jit_compile):
    """Checks a ``jit_compile`` argument: ``"auto"``, True or False.

    Args:
        jit_compile: The value to check.

    Returns:
        `jit_compile` unchanged.

    Raises:
        ValueError: If it is anything else.
    """
    if not (isinstance(jit_compile, bool) or jit_compile == "auto"):
        raise ValueError(
            "jit_compile must be 'auto', True or False. "
            f"Received: jit_compile={jit_compile!r}"
        )
    return jit_compile
