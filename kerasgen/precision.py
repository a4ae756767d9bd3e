"""Training precision: ``"auto"`` picks bfloat16 where the CPU computes it natively.

Keras' mixed-precision policies keep the variables in float32 and compute in a
16-bit type. On CPUs with native bfloat16 instructions (Intel AMX, or the
AVX512-BF16 extension of recent Intel and AMD CPUs) TensorFlow's oneDNN
kernels run convolutions about twice as fast in bfloat16 as in float32
(measured by ``benchmarks/unet_throughput.py --precision``). Elsewhere
bfloat16 is emulated and slower, so ``"auto"`` keeps float32 there.

``"mixed_float16"`` is meant for GPUs (with loss scaling, which
``keras.Model.compile`` and :class:`kerasgen.GAN` / :class:`kerasgen.VAE`
add); bfloat16 has float32's exponent range and needs no loss scaling.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import contextlib
import functools
import os
import platform

import keras

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
# CPU flags (Linux /proc/cpuinfo names) of native bfloat16 arithmetic.
_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_supports_bfloat16():
    """Tells whether this CPU has native bfloat16 instructions.

    Reads the CPU flags (``/proc/cpuinfo`` on Linux) and looks for
    ``avx512_bf16`` or ``amx_bf16``. On other systems, or if the flags cannot
    be read, returns ``False`` (float32 is the safe choice).

    Returns:
        A bool.

    Example:

    >>> isinstance(cpu_supports_bfloat16(), bool)
    True
    """
    if platform.system() != "Linux":
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[-1].split())
                    return any(flag in flags for flag in _BF16_CPU_FLAGS)
    except OSError:
        return False
    return False


def check_precision(precision):
    """Validates a precision name without resolving ``"auto"`` (no TensorFlow work).

    Args:
        precision: One of ``PRECISIONS``.

    Returns:
        ``precision``.

    Raises:
        ValueError: If ``precision`` is not one of ``PRECISIONS``.

    Example:

    >>> check_precision("auto")
    'auto'
    """
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ValueError(
            f"precision must be one of {PRECISIONS}. Received: precision={precision!r}"
        )
    return precision


def resolve_precision(precision):
    """Returns the Keras dtype policy name that ``precision`` stands for.

    Args:
        precision: ``"auto"`` (``"mixed_bfloat16"`` when no GPU is visible
            and the CPU has native bfloat16, see
            :func:`cpu_supports_bfloat16`; ``"mixed_float16"`` on a GPU;
            ``"float32"`` otherwise), or one of ``"float32"``,
            ``"mixed_bfloat16"``, ``"mixed_float16"``.

    Returns:
        One of ``"float32"``, ``"mixed_bfloat16"``, ``"mixed_float16"``.

    Raises:
        ValueError: If ``precision`` is not one of ``PRECISIONS``.

    Example:

    >>> resolve_precision("float32")
    'float32'
    >>> resolve_precision("auto") in ("float32", "mixed_bfloat16", "mixed_float16")
    True
    """
    check_precision(precision)
    if precision != "auto":
        return precision
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) != "-1" and _gpu_visible():
        return "mixed_float16"
    return "mixed_bfloat16" if cpu_supports_bfloat16() else "float32"


def _gpu_visible():
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


@contextlib.contextmanager
def precision_scope(precision):
    """Context manager: models built inside it use ``precision``.

    Sets Keras' global dtype policy (``keras.config.set_dtype_policy``) to
    :func:`resolve_precision` of ``precision`` and restores the previous
    policy on exit. Layers take their dtype policy when they are created, so
    build the model inside the scope; ``fit`` may run outside it.

    Args:
        precision: As for :func:`resolve_precision`.

    Yields:
        The resolved policy name.

    Example:

    >>> import keras
    >>> with precision_scope("mixed_bfloat16") as policy:
    ...     layer = keras.layers.Dense(2)
    >>> policy, layer.dtype_policy.name
    ('mixed_bfloat16', 'mixed_bfloat16')
    """
    resolved = resolve_precision(precision)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(resolved)
    try:
        yield resolved
    finally:
        keras.config.set_dtype_policy(previous)


def to_float32(model):
    """Returns an uncompiled float32 copy of a functional or Sequential model.

    Every layer's dtype policy in the model's config is replaced by
    ``"float32"`` and the weights are copied (mixed-precision variables are
    float32 already, so the copy is exact). Use it to ship a model trained
    under ``"mixed_bfloat16"`` / ``"mixed_float16"`` as an inference file that
    predicts in float32 on any machine. The copy has no optimizer.

    Args:
        model: A functional or Sequential ``keras.Model``.

    Returns:
        A new ``keras.Model``, all layers float32, same weights.

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``.

    Example:

    >>> import keras
    >>> with precision_scope("mixed_bfloat16"):
    ...     inputs = keras.Input((3,))
    ...     model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    >>> to_float32(model).layers[-1].dtype_policy.name
    'float32'
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model must be a keras.Model. Received: model of type {type(model).__name__}"
        )
    config = _float32_config(model.get_config())
    copy = model.__class__.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def _float32_config(config):
    """Recursively replaces every ``dtype`` entry of a layer config by float32."""
    if isinstance(config, dict):
        out = {}
        for key, value in config.items():
            if key == "dtype" and _is_policy(value):
                out[key] = "float32"
            else:
                out[key] = _float32_config(value)
        return out
    if isinstance(config, list):
        return [_float32_config(v) for v in config]
    return config


def _is_policy(value):
    if isinstance(value, str):
        return value in ("float32", "mixed_bfloat16", "mixed_float16", "bfloat16", "float16")
    return isinstance(value, dict) and value.get("class_name", "").endswith("DTypePolicy")
