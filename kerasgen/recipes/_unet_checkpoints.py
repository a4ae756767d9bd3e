"""The files ``train_unet`` writes each epoch: float32 inference checkpoints.

``last.keras`` and ``best.keras`` are float32 copies of the model without
optimizer state (:func:`kerasgen.precision.to_float32`), written atomically;
``best.keras.json`` records the best monitored value so that a resumed run
does not overwrite a better model saved before the interruption.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import json
import os

from kerasgen.precision import to_float32
from kerasgen.recipes._outputs import AtomicModelCheckpoint, save_model_atomically
from kerasgen.restoration._atomic import atomic_output


class InferenceCheckpoint(AtomicModelCheckpoint):
    """Atomic checkpoint of a float32 copy of the model, without optimizer."""

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if self._should_save_model(epoch, batch, logs, filepath):
            save_model_atomically(to_float32(self.model), filepath)


class BestInferenceCheckpoint(InferenceCheckpoint):
    """``InferenceCheckpoint`` that also records the best value.

    The best value is written to ``<filepath>.json`` so that a resumed run
    does not overwrite a better model saved before the interruption.
    """

    def _save_model(self, epoch, batch, logs):
        best_before = self.best
        super()._save_model(epoch, batch, logs)
        if self.save_best_only and self.best != best_before:
            write_json_atomic(
                self.filepath + ".json",
                {"monitor": self.monitor, "best": float(self.best), "epoch": epoch + 1},
            )


def read_best(path, monitor):
    """The best value recorded beside ``path`` for ``monitor``, or None."""
    try:
        with open(path + ".json") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    if record.get("monitor") != monitor or not os.path.exists(path):
        return None
    return record.get("best")


def write_json_atomic(path, record):
    """Writes ``record`` as JSON to ``path`` through a temporary file."""
    with atomic_output(path) as f:
        f.write(json.dumps(record).encode("utf-8"))
