"""Argument checks of the trainers: sub-models and float hyper-parameters.

Integer and seed checks are shared with the rest of kerasgen
(``kerasgen._checks``); wrong types raise ``TypeError``, out-of-range values
``ValueError``, with the ``Received: name=value`` convention.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import math
import numbers

import keras


def check_model(model, name):
    """Raises unless ``model`` is a built ``keras.Model``."""
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"{name} must be a keras.Model. Received: {name} of type "
            f"{type(model).__name__}"
        )
    if not model.built:
        raise ValueError(
            f"{name} must be built (its weights created) before it is given "
            "to a trainer: use a functional/Sequential model with an Input, "
            f"or call it once on a batch. Received: {name}={model.name!r} "
            "with built=False"
        )


def check_float(name, value, *, minimum=None, maximum=None, open_minimum=False, open_maximum=False):
    """Checks a finite real number in the interval given by the bounds.

    Args:
        name: Argument name used in the error message.
        value: The value to check.
        minimum: Optional lower bound (included unless ``open_minimum``).
        maximum: Optional upper bound (included unless ``open_maximum``).
        open_minimum: Whether ``value == minimum`` is rejected.
        open_maximum: Whether ``value == maximum`` is rejected.

    Returns:
        ``value`` as a Python float.

    Raises:
        TypeError: If ``value`` is not a real number.
        ValueError: If it is not finite or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a float. Received: {name}={value!r}")
    value = float(value)
    ok = math.isfinite(value)
    if minimum is not None:
        ok = ok and (value > minimum if open_minimum else value >= minimum)
    if maximum is not None:
        ok = ok and (value < maximum if open_maximum else value <= maximum)
    if not ok:
        if minimum is not None and maximum is not None:
            expected = (
                f"in {'(' if open_minimum else '['}{minimum}, "
                f"{maximum}{')' if open_maximum else ']'}"
            )
        elif minimum is not None:
            expected = f"{'>' if open_minimum else '>='} {minimum}"
        elif maximum is not None:
            expected = f"{'<' if open_maximum else '<='} {maximum}"
        else:
            expected = "finite"
        raise ValueError(f"{name} must be {expected}. Received: {name}={value!r}")
    return value


def input_shapes(model):
    """Shapes of the model's inputs (list of tuples), or None if unknown."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    return [tuple(tensor.shape) for tensor in inputs]


def output_shapes(model):
    """Shapes of the model's outputs (list of tuples), or None if unknown."""
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        return None
    if not outputs:
        return None
    return [tuple(tensor.shape) for tensor in outputs]
