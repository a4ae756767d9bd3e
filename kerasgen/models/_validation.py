"""Argument checks shared by the model builders (house-style error messages)."""

import numbers


def check_positive_int(name, value):
    """Returns ``value`` as an ``int``, or raises if it is not a positive int.

    Args:
        name: Argument name used in the error message.
        value: The value to check. ``bool`` is rejected.

    Returns:
        ``int(value)``.

    Raises:
        ValueError: If ``value`` is not an integer ``>= 1``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int. Received: {name}={value!r}")
    return int(value)


def check_image_shape(image_shape):
    """Returns ``image_shape`` as a tuple of three positive ints.

    Args:
        image_shape: ``(height, width, channels)``; all three must be known.

    Returns:
        A tuple ``(height, width, channels)`` of Python ints.

    Raises:
        ValueError: If ``image_shape`` is not a 3-sequence of positive ints.
    """
    if (
        not isinstance(image_shape, (tuple, list))
        or len(image_shape) != 3
        or any(
            isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1
            for v in image_shape
        )
    ):
        raise ValueError(
            "image_shape must be a tuple (height, width, channels) of three "
            f"positive ints. Received: image_shape={image_shape!r}"
        )
    return tuple(int(v) for v in image_shape)


def check_num_classes(num_classes):
    """Returns ``num_classes`` as an int (or ``None``), or raises.

    Args:
        num_classes: ``None`` (unconditional model) or an int ``>= 2``.

    Returns:
        ``None`` or ``int(num_classes)``.

    Raises:
        ValueError: If ``num_classes`` is neither ``None`` nor an int ``>= 2``.
    """
    if num_classes is None:
        return None
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, numbers.Integral)
        or num_classes < 2
    ):
        raise ValueError(
            "num_classes must be None or an int >= 2. "
            f"Received: num_classes={num_classes!r}"
        )
    return int(num_classes)


def check_rate(name, value):
    """Returns ``value`` as a float in ``[0, 1)``, or raises.

    Args:
        name: Argument name used in the error message.
        value: The value to check (e.g. a dropout rate).

    Returns:
        ``float(value)``.

    Raises:
        ValueError: If ``value`` is not a real number in ``[0, 1)``.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= value < 1.0
    ):
        raise ValueError(
            f"{name} must be a float in [0, 1). Received: {name}={value!r}"
        )
    return float(value)


def check_name(name):
    """Returns ``name`` if it is a non-empty string, else raises.

    Args:
        name: The model name.

    Returns:
        ``name``.

    Raises:
        ValueError: If ``name`` is not a non-empty ``str``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty str. Received: name={name!r}")
    return name
