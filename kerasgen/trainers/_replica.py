"""tf.distribute helpers shared by the trainers (private).

Losses are averaged over the *global* batch (and the noise is drawn per
replica by ``kerasgen._distribute.replica_random``), so a step on N replicas
equals a step on one replica with the same global batch.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import contextlib

import tensorflow as tf
from keras import ops


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
