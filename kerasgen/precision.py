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
import weakref

import keras
import tensorflow as tf

from kerasgen._checks import check_keras_model

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
# model -> {policy: (inference copy, weight sync)} for `inference_model`.
_INFERENCE_COPIES = weakref.WeakKeyDictionary()
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
    check_keras_model(model)
    config = _policy_config(model.get_config(), "float32")
    copy = model.__class__.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def inference_copy(model, precision="auto"):
    """Returns a copy of a model for faster inference in 16-bit arithmetic.

    The inner layers compute in the 16-bit type of `precision`; the layers up
    to the first one with weights and from the last one with weights on stay
    float32, so that the input is read and the output (for a residual
    denoiser: the subtraction of the predicted noise from the input) is
    written at full precision. Measured here (AVX512-BF16, the shipped
    denoisers, plug-and-play on 256 x 256 crops): 1.6x faster in
    ``"mixed_bfloat16"``, PSNR within 0.005 dB of float32.

    The copy has the model's weights at the time of the call; call
    ``copy.set_weights(model.get_weights())`` after changing them.

    Args:
        model: A functional or Sequential ``keras.Model``.
        precision: As for :func:`resolve_precision`; ``"auto"`` is
            ``"mixed_bfloat16"`` on CPUs with native bfloat16 and float32
            elsewhere.

    Returns:
        A new ``keras.Model`` with the same weights, or `model` itself when
        the precision resolves to ``"float32"``, it has no weights, or it is
        a subclassed model (whose layers cannot be rebuilt from its config).

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``.
        ValueError: If ``precision`` is not one of ``PRECISIONS``.

    Example:

    >>> import keras
    >>> inputs = keras.Input((4,))
    >>> hidden = keras.layers.Dense(8, name="hidden")(keras.layers.Dense(8)(inputs))
    >>> model = keras.Model(inputs, keras.layers.Dense(1, name="out")(hidden))
    >>> fast = inference_copy(model, "mixed_bfloat16")
    >>> fast.get_layer("hidden").compute_dtype, fast.get_layer("out").compute_dtype
    ('bfloat16', 'float32')
    """
    check_keras_model(model)
    policy = resolve_precision(precision)
    weighted = [index for index, layer in enumerate(model.layers) if layer.weights]
    config = model.get_config() if policy != "float32" and weighted else {}
    if "layers" not in config:  # float32, no weights, or a subclassed model
        return model
    exact = {
        layer.name
        for index, layer in enumerate(model.layers)
        if index <= weighted[0] or index >= weighted[-1]
    }
    for entry in config["layers"]:
        layer_config = entry["config"]
        if entry.get("class_name") != "InputLayer" and layer_config.get("name") not in exact:
            entry["config"] = _policy_config(layer_config, policy)
    copy = model.__class__.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def inference_model(model, precision="auto"):
    """Like :func:`inference_copy`, but keeps one copy per model and policy.

    Building a copy and tracing its graph take far longer than one call, so
    callers that run a model image after image (plug-and-play iterations,
    :func:`kerasgen.inference.restore`) reuse the copy. Each call first
    copies the model's current weights into it (one compiled function,
    traced with the copy: 0.3 ms for the shipped denoisers, against 6-15 ms
    for ``set_weights``), so a model trained or changed in between is never
    run with stale weights. The cache holds the model weakly.

    Args:
        model: A ``keras.Model``.
        precision: As for :func:`inference_copy`.

    Returns:
        The cached copy with the model's current weights, or `model` itself
        (as :func:`inference_copy`).

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``.
        ValueError: If ``precision`` is not one of ``PRECISIONS``.

    Example:

    >>> import keras
    >>> inputs = keras.Input((4,))
    >>> hidden = keras.layers.Dense(8, name="hidden")(keras.layers.Dense(8)(inputs))
    >>> model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    >>> inference_model(model, "mixed_bfloat16") is inference_model(model, "mixed_bfloat16")
    True
    >>> inference_model(model, "float32") is model
    True
    """
    policy = resolve_precision(precision)
    if policy == "float32" or not isinstance(model, keras.Model):
        return inference_copy(model, policy)
    copies = _INFERENCE_COPIES.setdefault(model, {})
    if policy in copies:
        copy, sync = copies[policy]
        sync()
        return copy
    copy = inference_copy(model, policy)
    pairs = [] if copy is model else list(zip(copy.weights, model.weights))

    @tf.function
    def sync():
        for target, source in pairs:
            target.assign(source)

    # Run once now, with the copy, not on the second call (about 0.1 s): the
    # first run traces and instantiates it (get_concrete_function alone
    # leaves about 30 ms to that call); the assignments themselves are redundant.
    sync()
    copies[policy] = (copy, sync)
    return copy


def _policy_config(config, policy):
    """Recursively replaces every dtype policy entry of a layer config by `policy`.

    Input layers keep their dtype (a tensor dtype, which a mixed policy name
    is not), also those of nested models.
    """
    if isinstance(config, dict):
        if config.get("class_name") == "InputLayer":
            return config
        return {
            key: policy if key == "dtype" and _is_policy(value) else _policy_config(value, policy)
            for key, value in config.items()
        }
    if isinstance(config, list):
        return [_policy_config(value, policy) for value in config]
    return config


def _is_policy(value):
    if isinstance(value, str):
        return value in ("float32", "mixed_bfloat16", "mixed_float16", "bfloat16", "float16")
    return isinstance(value, dict) and value.get("class_name", "").endswith("DTypePolicy")
