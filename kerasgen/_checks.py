"""Argument checks shared by kerasgen modules: the validation layer.

The pure-Python / numpy checks are implemented once, in
``kerasgen.restoration._checks`` and ``kerasgen.restoration._range_check``
(so that ``kerasgen.restoration`` needs nothing outside itself), and
re-exported here; the checks only the Keras side needs are defined below. Modules outside ``kerasgen.restoration`` import their
checks from here.
"""

import numbers

from kerasgen.restoration._checks import (  # noqa: F401  (re-exported)
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_interval,
    check_pixel_count,
    check_positive_int,
    check_seed,
    check_str,
    check_value_range,
    resolve_max_pixels,
)
from kerasgen.restoration._range_check import (  # noqa: F401  (re-exported)
    RANGE_CHECK_ENV,
    allowed_range,
    check_data_range,
    range_check_enabled,
    rescale_hint,
    set_range_check,
)

# The checks below import nothing heavy at module level: `import kerasgen`
# and `kerasgen.set_range_check` stay free of TensorFlow.


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


def check_rate(name, value):
    """Checks a rate (e.g. dropout) in [0, 1).

    Returns:
        `value` as a Python float.

    Raises:
        TypeError: If `value` is not a real number.
        ValueError: If it is not in [0, 1).
    """
    return check_float(name, value, minimum=0.0, maximum=1.0, open_maximum=True, expected="a float in [0, 1)")


def check_name(name):
    """Checks a model or layer name: a non-empty str.

    Raises:
        TypeError: If `name` is not a str.
        ValueError: If it is empty.
    """
    return check_str("name", name)


def check_image_shape(image_shape):
    """Checks an image shape `(height, width, channels)` of three positive ints.

    Returns:
        The shape as a tuple of Python ints.

    Raises:
        ValueError: If `image_shape` is not such a triple.
    """
    if (
        not isinstance(image_shape, (tuple, list))
        or len(image_shape) != 3
        or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in image_shape)
    ):
        raise ValueError(
            "image_shape must be a tuple (height, width, channels) of three "
            f"positive ints. Received: image_shape={image_shape!r}"
        )
    return tuple(int(v) for v in image_shape)


def check_num_classes(num_classes):
    """Checks a number of classes: None (unconditional model) or an int >= 2.

    Returns:
        None or the number as a Python int.

    Raises:
        TypeError: If `num_classes` is neither None nor an int.
        ValueError: If it is < 2.
    """
    return check_int(
        "num_classes", num_classes, minimum=2, allow_none=True, expected="None or an int >= 2"
    )


def check_keras_model(model, name="model"):
    """Checks that `model` is a `keras.Model` (imports Keras).

    Raises:
        TypeError: If it is not.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"{name} must be a keras.Model. Received: {name} of type {type(model).__name__}")
    return model


def check_model(name, model):
    """Checks that `model` is a built `keras.Model` (imports Keras).

    Raises:
        TypeError: If `model` is not a `keras.Model`.
        ValueError: If it is not built.
    """
    check_keras_model(model, name)
    if not model.built:
        raise ValueError(
            f"{name} must be built (its weights created) before it is given "
            "to a trainer: use a functional/Sequential model with an Input, "
            f"or call it once on a batch. Received: {name}={model.name!r} "
            "with built=False"
        )
    return model


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
