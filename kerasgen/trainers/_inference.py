"""Batched inference used by ``generate``/``sample``/``encode``/``decode``.

Calls the sub-model eagerly batch by batch: unlike ``Model.predict`` nothing
is traced, so calls with varying numbers of images neither retrace nor warn.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import numpy as np
from keras import ops

DEFAULT_BATCH_SIZE = 128


def predict_in_batches(model, inputs, batch_size=None):
    """Returns ``model(inputs, training=False)`` as float32 numpy array(s).

    Args:
        model: A ``keras.Model``.
        inputs: A numpy array or a list of numpy arrays with the same number
            of rows.
        batch_size: Rows per call; None means ``DEFAULT_BATCH_SIZE``.

    Returns:
        A numpy float32 array, or a list of them for multi-output models.
    """
    batch_size = batch_size or DEFAULT_BATCH_SIZE
    num_rows = len(keras.tree.flatten(inputs)[0])
    chunks = []
    # One call on the empty batch when there are no rows: empty outputs of
    # the right shapes (not an error from concatenating nothing).
    for start in range(0, max(num_rows, 1), batch_size):
        rows = slice(start, start + batch_size)
        batch = keras.tree.map_structure(lambda a, rows=rows: a[rows], inputs)
        outputs = model(batch, training=False)
        chunks.append(
            keras.tree.map_structure(
                lambda t: np.asarray(ops.convert_to_numpy(t), dtype="float32"), outputs
            )
        )
    return keras.tree.map_structure(lambda *parts: np.concatenate(parts), *chunks)
