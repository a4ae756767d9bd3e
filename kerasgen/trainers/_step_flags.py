"""In-graph flags of a trainer step (private): is the batch good, apply the update only then.

A step computes one flag per update (finite batch, data in range, class ids
for labels, finite losses and gradients); `apply_if` runs the optimizer
update under ``tf.cond`` on it, `count_bad` counts bad batches in
distribution-aware trackers and returns the counts under the private log
`KEYS`, and `predict_outputs` returns a predict batch's flags beside its
outputs. ``kerasgen.trainers._guards.GuardMixin`` pops those keys and raises
in Python (see its module docstring).
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import tensorflow as tf
from keras import ops

NONFINITE_KEY = "_kerasgen_nonfinite_batches"
OUT_OF_RANGE_KEY = "_kerasgen_out_of_range_batches"
BAD_LABELS_KEY = "_kerasgen_bad_label_batches"
KEYS = (NONFINITE_KEY, OUT_OF_RANGE_KEY, BAD_LABELS_KEY)


def all_finite(*tensors):
    """Scalar bool tensor: every value of every (non-None) tensor is finite."""
    flags = [
        tf.reduce_all(tf.math.is_finite(tf.cast(t, "float32")))
        for t in tf.nest.flatten(tensors)
        if t is not None
    ]
    return tf.reduce_all(tf.stack(flags)) if flags else tf.constant(True)


def in_range(images, bounds):
    """Scalar bool tensor: the finite values of ``images`` are within ``bounds``.

    ``bounds`` is ``(low, high)`` (e.g. `range_bounds` of a data range: the
    range widened by its span on either side), or None: always True.
    """
    if bounds is None:
        return tf.constant(True)
    low, high = bounds
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


def count_bad(trackers, finite, range_ok, labels_ok=True):
    """Counts a bad batch in the trackers; returns their totals as logs."""
    logs = {}
    for key, tracker, flag in zip(KEYS, trackers, (finite, range_ok, labels_ok)):
        tracker.update_state(tf.cast(tf.logical_not(flag), "float32"))
        logs[key] = tracker.result()
    return logs


def predict_outputs(outputs, finite, range_ok=True, labels_ok=True):
    """What a ``predict_step`` returns: ``outputs`` and its batch's flags.

    The flags (1 for a bad batch, shape ``(1,)``, so that Keras concatenates
    them over replicas and steps like the outputs) are popped by
    ``GuardMixin``'s predict function, which raises on them.
    """
    result = {"outputs": outputs}
    for key, flag in zip(KEYS, (finite, range_ok, labels_ok)):
        result[key] = ops.reshape(tf.cast(tf.logical_not(flag), "float32"), (1,))
    return result
