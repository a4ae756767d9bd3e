"""tf.distribute helpers shared by the trainers (private).

Losses are averaged over the *global* batch and the trainers' noise is drawn
for the global batch then sliced per replica, so a step on N replicas equals a
step on one replica with the same global batch (and replicas do not all draw
the same noise, which is what a mirrored ``SeedGenerator`` gives by itself).
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import contextlib

import tensorflow as tf
from keras import ops


def _replica_context():
    """Returns ``(num_replicas, replica_id)`` of the current replica."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: behave as one replica
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


def strategy_scope(model):
    """Scope in which optimizers for ``model`` are created and built."""
    if tf.distribute.has_strategy():
        return contextlib.nullcontext()
    return model.distribute_strategy.scope()


def global_average(per_example_loss):
    """Sum of the per-example losses divided by the global batch size."""
    return tf.nn.compute_average_loss(per_example_loss)


def scaled_regularization(model):
    """``sum(model.losses)`` divided by the number of replicas (or 0.0)."""
    losses = model.losses
    if not losses:
        return 0.0
    total = ops.sum(ops.stack([ops.cast(loss, "float32") for loss in losses]))
    return tf.nn.scale_regularization_loss(total)


def replica_random(sample_fn, local_batch, feature_shape):
    """Draws this replica's slice of a global-batch random tensor.

    Args:
        sample_fn: Callable ``shape -> tensor`` (e.g. ``keras.random.normal``
            bound to a ``SeedGenerator``); called once per step on every
            replica with the same (mirrored) seed state.
        local_batch: Batch size on this replica (int or scalar tensor).
        feature_shape: Tuple, the non-batch part of the shape.

    Returns:
        Tensor of shape ``(local_batch,) + feature_shape``, equal to the rows
        ``[id * local_batch, (id + 1) * local_batch)`` of a draw for the
        global batch.
    """
    feature_shape = tuple(feature_shape)
    num_replicas, replica_id = _replica_context()
    if num_replicas == 1:
        return sample_fn((local_batch,) + feature_shape)
    values = sample_fn((local_batch * num_replicas,) + feature_shape)
    values = ops.reshape(values, (num_replicas, local_batch) + feature_shape)
    return tf.gather(values, replica_id)
