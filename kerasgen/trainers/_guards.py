"""Guards of the trainers' ``fit`` path (private): bad batches and exact resume.

A training step computes one flag per update: the batch is finite and within
the trainer's data range, the losses (and, without loss scaling, the
gradients) are finite. The optimizer update runs under ``tf.cond`` on that
flag, so a bad batch never touches the weights. The step also counts bad
batches in two ``keras.metrics.Sum`` trackers (distribution-aware) and
returns the counts under private log keys; ``GuardMixin`` wraps Keras'
``train_function`` to pop those keys and raise (or, for non-finite batches
with ``on_nonfinite="skip"``, warn once) in Python, right after the step and
before any callback. An assertion inside the graph would not do: XLA
compiles ``tf.debugging`` assertions to no-ops.

``seed_generators``/``save_seed_states``/``load_seed_states`` save the state
of every ``keras.random.SeedGenerator`` of the sub-models (Dropout layers,
``kerasgen.layers.Sampling``): Keras does not save them, and without them a
reloaded model does not continue a run exactly.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import warnings

import keras
import tensorflow as tf
from keras import ops

from kerasgen._checks import (
    allowed_range,
    check_value_range,
    range_check_enabled,
    rescale_hint,
)

ON_NONFINITE = ("raise", "skip")
NONFINITE_KEY = "_kerasgen_nonfinite_batches"
OUT_OF_RANGE_KEY = "_kerasgen_out_of_range_batches"
_SEED_STATE_PREFIX = "layer_seed_state_"


def check_on_nonfinite(on_nonfinite):
    """Checks the ``on_nonfinite`` argument of a trainer."""
    if on_nonfinite not in ON_NONFINITE:
        raise ValueError(
            f"on_nonfinite must be one of {list(ON_NONFINITE)}. "
            f"Received: on_nonfinite={on_nonfinite!r}"
        )
    return on_nonfinite


def check_data_range_arg(data_range):
    """Checks a trainer's ``data_range``: None or a pair ``(lo, hi)``."""
    if data_range is None:
        return None
    return check_value_range(data_range, "data_range")


def make_trackers():
    """The two bad-batch counters of a trainer (not reset between epochs)."""
    return (
        keras.metrics.Sum(name="nonfinite_batches"),
        keras.metrics.Sum(name="out_of_range_batches"),
    )


def all_finite(*tensors):
    """Scalar bool tensor: every value of every (non-None) tensor is finite."""
    flags = [
        tf.reduce_all(tf.math.is_finite(tf.cast(t, "float32")))
        for t in tf.nest.flatten(tensors)
        if t is not None
    ]
    return tf.reduce_all(tf.stack(flags)) if flags else tf.constant(True)


def in_range(images, data_range):
    """Scalar bool tensor: the finite values of ``images`` are within range.

    The range is ``data_range`` widened by its span on either side (see
    ``kerasgen._checks.allowed_range``); always True when ``data_range`` is
    None or the range check is turned off.
    """
    if data_range is None or not range_check_enabled():
        return tf.constant(True)
    low, high = allowed_range(data_range)
    images = tf.cast(images, "float32")
    finite = tf.math.is_finite(images)
    low_ok = tf.reduce_all(tf.where(finite, images, low) >= low)
    high_ok = tf.reduce_all(tf.where(finite, images, high) <= high)
    return tf.logical_and(low_ok, high_ok)


def agree(flag):
    """``flag`` AND-ed over the replicas (each sees its own slice of the batch)."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return flag
    bad = context.all_reduce(
        tf.distribute.ReduceOp.SUM, tf.cast(tf.logical_not(flag), "float32")
    )
    return tf.equal(bad, 0.0)


def apply_if(flag, optimizer, grads, variables):
    """``optimizer.apply(grads, variables)`` only where ``flag`` is True.

    ``flag`` must be the same on every replica (see `agree`).
    """

    def apply():
        optimizer.apply(grads, variables)

    if not tf.distribute.has_strategy() or (
        tf.__internal__.distribute.strategy_supports_no_merge_call()
    ):
        ops.cond(flag, apply, lambda: None)
        return

    def cross_replica(distribution, flag, grads):
        first = distribution.experimental_local_results(flag)[0]

        def apply_everywhere():
            distribution.extended.call_for_each_replica(
                lambda g: optimizer.apply(g, variables), args=(grads,)
            )

        tf.cond(first, apply_everywhere, lambda: None)

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(flag, grads))


def grads_checked(optimizer):
    """Whether gradients need their own finiteness check.

    Not under loss scaling: a ``LossScaleOptimizer`` expects (and skips)
    overflowing gradients while it adjusts its scale.
    """
    return not isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def update_masked(tracker, values, flag):
    """Updates a ``Mean`` tracker with ``values`` only where ``flag`` is True."""
    values = tf.cast(values, "float32")
    weight = tf.broadcast_to(tf.cast(flag, "float32"), tf.shape(values))
    tracker.update_state(tf.where(tf.cast(weight, "bool"), values, 0.0), sample_weight=weight)


def count_bad(trackers, finite, range_ok):
    """Counts a bad batch in the trackers; returns their totals as logs."""
    nonfinite, out_of_range = trackers
    nonfinite.update_state(tf.cast(tf.logical_not(finite), "float32"))
    out_of_range.update_state(tf.cast(tf.logical_not(range_ok), "float32"))
    return {NONFINITE_KEY: nonfinite.result(), OUT_OF_RANGE_KEY: out_of_range.result()}


class GuardMixin:
    """Wraps Keras' train function to act on the counts of bad batches.

    The trainer sets ``self.on_nonfinite``, ``self.data_range`` and
    ``self._bad_batch_trackers`` and returns `count_bad`'s logs from its
    ``train_step``; ``self._applied_steps()`` gives the number of updates
    applied so far (to name the failing step).
    """

    def make_train_function(self, force=False):
        super().make_train_function(force=force)
        function = self.train_function
        if getattr(function, "_kerasgen_guarded", False):
            return function

        def guarded(iterator):
            logs = dict(function(iterator))
            nonfinite = int(logs.pop(NONFINITE_KEY, 0))
            out_of_range = int(logs.pop(OUT_OF_RANGE_KEY, 0))
            self._check_bad_batches(nonfinite, out_of_range)
            return logs

        guarded._kerasgen_guarded = True
        self.train_function = guarded
        return guarded

    def _check_bad_batches(self, nonfinite, out_of_range):
        seen = getattr(self, "_bad_batches_seen", (0, 0))
        self._bad_batches_seen = (nonfinite, out_of_range)
        last = self._applied_steps() + nonfinite + out_of_range
        per_call = getattr(self, "steps_per_execution", 1) or 1
        step = f"training step {last}" if per_call == 1 else f"one of training steps {max(last - per_call + 1, 1)}-{last}"
        step += " of this model"
        name = type(self).__name__
        if out_of_range > seen[1]:
            low, high = allowed_range(self.data_range)
            raise ValueError(
                f"{name}.fit: a training batch has values outside "
                f"[{low:g}, {high:g}], far outside data_range={self.data_range} "
                f"({step}); the update was not applied. "
                f"{rescale_hint(self.data_range)} Or pass data_range=None to "
                f"the {name}. Received: a batch out of range"
            )
        if nonfinite > seen[0]:
            if self.on_nonfinite == "raise":
                raise ValueError(
                    f"{name}.fit: NaN or inf in a training batch, its losses or "
                    f"gradients at {step}; the update was not "
                    "applied, so the weights are still finite. Check the data "
                    "(e.g. with np.isfinite) and the learning rate, or pass "
                    f"on_nonfinite='skip' to the {name} to skip such batches. "
                    f"Received: on_nonfinite='raise'"
                )
            if seen[0] == 0:
                warnings.warn(
                    f"{name}.fit skipped a training batch with NaN or inf "
                    f"values ({step}; on_nonfinite='skip'). "
                    "Further skipped batches are not reported.",
                    RuntimeWarning,
                    stacklevel=2,
                )


# ----------------------------------------------------------- seed states


def seed_generators(*models):
    """Every ``SeedGenerator`` of the layers of ``models``, in a fixed order."""
    found, seen = [], set()
    for model in models:
        for layer in model._flatten_layers(include_self=True):
            for generator in getattr(layer, "_seed_generators", ()):
                if id(generator) not in seen:
                    seen.add(id(generator))
                    found.append(generator)
    return found


def save_seed_states(store, generators):
    """Writes the states of ``generators`` into a Keras variable ``store``."""
    for index, generator in enumerate(generators):
        store[f"{_SEED_STATE_PREFIX}{index}"] = generator.state


def load_seed_states(store, keys, generators):
    """Restores states written by `save_seed_states` (absent keys are skipped).

    Returns:
        The keys of ``store`` that are not seed states.
    """
    for index, generator in enumerate(generators):
        key = f"{_SEED_STATE_PREFIX}{index}"
        if key in keys:
            value = store[key]
            if tuple(value.shape) == tuple(generator.state.shape):
                generator.state.assign(value)
    return [k for k in keys if not k.startswith(_SEED_STATE_PREFIX)]
