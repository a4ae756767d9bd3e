"""Optimizer handling shared by the trainers (private).

Resolves user optimizers, wraps them in ``keras.optimizers.LossScaleOptimizer``
when any sub-model computes in float16, builds them eagerly (so that
``keras.models.load_model`` can restore their state), and checks the keyword
arguments forwarded to ``keras.Model.compile``.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras

from kerasgen._checks import check_bool

# Keyword arguments of keras.Model.compile that the trainers pass through.
# Everything else (loss=, metrics=, ...) is owned by the trainer itself.
PASSTHROUGH_COMPILE_ARGS = ("run_eagerly", "jit_compile", "steps_per_execution")


def split_compile_kwargs(kwargs, owner):
    """Returns ``(passthrough, auto_scale_loss)`` or raises for unknown keys."""
    kwargs = dict(kwargs)
    auto_scale_loss = kwargs.pop("auto_scale_loss", True)
    unknown = sorted(set(kwargs) - set(PASSTHROUGH_COMPILE_ARGS))
    if unknown:
        raise ValueError(
            f"{owner}.compile() computes its own losses and metrics and only "
            f"accepts the extra keyword arguments {list(PASSTHROUGH_COMPILE_ARGS)}"
            f" and 'auto_scale_loss'. Received unsupported: {unknown}"
        )
    return kwargs, check_bool("auto_scale_loss", auto_scale_loss)


def resolve(optimizer, default_factory, name):
    """Returns a ``keras.optimizers.Optimizer`` instance.

    ``None`` gives ``default_factory()``; strings and config dicts go through
    ``keras.optimizers.get``.
    """
    if optimizer is None:
        return default_factory()
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    if not isinstance(optimizer, (str, dict)):
        raise TypeError(
            f"{name} must be a keras.optimizers.Optimizer, an optimizer name "
            f"or config, or None. Received: {name} of type {type(optimizer).__name__}"
        )
    try:
        return keras.optimizers.get(optimizer)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"{name} is not a known optimizer name or config. "
            f"Received: {name}={optimizer!r}"
        ) from error


def needs_loss_scaling(*models):
    """True when any layer of ``models`` computes in float16."""
    for model in models:
        for layer in model._flatten_layers(include_self=True):
            if layer.compute_dtype == "float16":
                return True
    return False


def maybe_wrap(optimizer, enabled):
    """Wraps ``optimizer`` in a ``LossScaleOptimizer`` when ``enabled``."""
    if enabled and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def build(optimizer, variables):
    """Creates the optimizer's slots for ``variables`` (no-op when built)."""
    if not optimizer.built:
        optimizer.build(variables)
