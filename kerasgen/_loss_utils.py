"""Per-example reductions and input conversion shared by kerasgen's losses."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
from keras import ops

_HALF_DTYPES = ("float16", "bfloat16")


def _as_float_tensor(x, name):
    """Converts ``x`` to a float tensor of rank >= 1, in at least float32."""
    if x is None:
        raise ValueError(f"{name} must be a tensor. Received: {name}=None")
    x = ops.convert_to_tensor(x)
    dtype = keras.backend.standardize_dtype(x.dtype)
    if dtype == "string" or "complex" in dtype:
        # A cast would fail obscurely (strings) or drop the imaginary part.
        raise TypeError(
            f"{name} must be a real-valued (float, int or bool) tensor. "
            f"Received: {name} of dtype {dtype}"
        )
    if "float" not in dtype or dtype in _HALF_DTYPES:
        x = ops.cast(x, "float32")
    if len(x.shape) < 1:
        raise ValueError(
            f"{name} must have a batch axis (rank >= 1). "
            f"Received: {name}.shape={tuple(x.shape)}"
        )
    if 0 in tuple(x.shape)[1:]:
        # The per-example mean over no values is NaN.
        raise ValueError(
            f"{name} must have at least one value per example (no empty "
            f"non-batch axis). Received: {name}.shape={tuple(x.shape)}"
        )
    return x


def _common_dtype(a, b):
    """Casts two float tensors to the wider of their dtypes (float64 + float32 -> float64)."""
    dtype = keras.backend.result_type(a.dtype, b.dtype)
    return ops.cast(a, dtype), ops.cast(b, dtype)


def _check_same_shape(a, b, name_a, name_b):
    shape_a, shape_b = tuple(a.shape), tuple(b.shape)
    compatible = len(shape_a) == len(shape_b) and all(
        da is None or db is None or da == db for da, db in zip(shape_a, shape_b)
    )
    if not compatible:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape. Received: "
            f"{name_a}.shape={shape_a}, {name_b}.shape={shape_b}"
        )


def _mean_per_example(x):
    if len(x.shape) == 1:
        return x
    return ops.mean(x, axis=tuple(range(1, len(x.shape))))


def _sum_per_example(x):
    if len(x.shape) == 1:
        return x
    return ops.sum(x, axis=tuple(range(1, len(x.shape))))
