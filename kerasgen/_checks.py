"""Argument checks shared by kerasgen modules: the validation layer.

The pure-Python / numpy checks are implemented once, in
``kerasgen.restoration._checks`` (so that ``kerasgen.restoration`` needs
nothing outside itself), and re-exported here; the checks only the Keras side
needs are defined below. Modules outside ``kerasgen.restoration`` import their
checks from here.
"""

from kerasgen.restoration._checks import (  # noqa: F401  (re-exported)
    RANGE_CHECK_ENV,
    allowed_range,
    check_data_range,
    check_int,
    check_pixel_count,
    check_seed,
    check_value_range,
    range_check_enabled,
    rescale_hint,
    resolve_max_pixels,
    set_range_check,
)


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

