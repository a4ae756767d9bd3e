"""End-to-end journeys across modules: bugs that only show when pieces are combined."""

import os

import h5py
import keras
import numpy as np
import tensorflow as tf

from kerasgen.recipes.vae import train_vae

TINY_VAE = {"latent_dim": 2, "base_filters": 4, "num_samples": 4, "verbose": 0, "precision": "float32"}


class _StopAfter(keras.callbacks.Callback):
    """Ctrl-C (KeyboardInterrupt) once epoch ``epoch`` (0-based) has ended and been backed up."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def _tiny_images():
    rng = np.random.default_rng(0)
    return tf.data.Dataset.from_tensor_slices(rng.random((16, 16, 16, 1)).astype("float32")).batch(8)


def test_vae_resumes_after_ctrl_c_during_the_backup_save(tmp_path):
    # Ctrl-C inside save_weights leaves a readable but partial latest.weights.h5
    # (h5py closes the file on the exception). Keras falls back to the previous
    # backup (.bkp) only on an OSError, so the rerun was refused as "a model that
    # does not match these arguments" and the run could not be resumed.
    out = tmp_path / "run"
    try:
        train_vae(_tiny_images(), out, epochs=3, callbacks=[_StopAfter(1)], **TINY_VAE)
    except KeyboardInterrupt:
        pass
    backup = out / "backup"
    assert (backup / "latest.weights.h5.bkp").exists()
    with h5py.File(backup / "latest.weights.h5", "r+") as f:  # the save stopped halfway
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        layers = [name for name in names if "/layers/" in name]
        for name in layers[len(layers) // 2 :]:
            del f[name]

    vae, history = train_vae(_tiny_images(), out, epochs=3, **TINY_VAE)

    assert history.epoch == [1, 2]  # resumed from the previous backup (after epoch 1)
    assert not backup.exists()
    assert (out / "vae.keras").exists()
    assert sorted(os.listdir(out / "samples")) == [f"samples_epoch_00{i}.png" for i in (1, 2, 3)]
