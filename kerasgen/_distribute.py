"""Per-replica random draws under tf.distribute (private).

A ``keras.random.SeedGenerator`` created under ``MirroredStrategy`` is
mirrored: every replica holds the same state and so draws the same noise. To
make a step on N replicas equal a step on one replica with the same global
batch, each replica draws the noise of the whole global batch and keeps its
own slice. Used by the trainers and by ``kerasgen.layers.Sampling``.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import tensorflow as tf
from keras import ops


def _replica_context():
    """Returns ``(num_replicas, replica_id)`` of the current replica."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: behave as one replica
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


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
