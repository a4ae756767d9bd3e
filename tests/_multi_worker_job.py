"""One worker of the two-worker test (run as a script by test_multi_worker.py).

Usage: ``python _multi_worker_job.py WORK_DIR`` with ``TF_CONFIG`` naming a
two-worker cluster on 127.0.0.1 and this worker's index. Every worker trains,
under ``MultiWorkerMirroredStrategy`` (global batch 8, 4 replicas' worth of
data split over 2 workers):

* a tiny DCGAN (batch-normalised, no dropout) through ``train_gan``, interrupted after epoch 1 (a callback
  raises on both workers, as a crash would), then resumed by the same call,
  to 2 epochs;
* a tiny U-Net through ``train_unet`` for 2 epochs of 3 steps.

Worker 1 then trains the same two models with the default (one-device)
strategy and the same global batch, without interruption, as the reference.
Each worker writes ``WORK_DIR/result_<index>.json`` with the weights.
"""

import functools
import json
import os
import sys


def main(work_dir):
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    from kerasgen.distribution import get_strategy, is_chief

    strategy = get_strategy("multi_worker")  # before any other TensorFlow work

    import keras
    import numpy as np
    import tensorflow as tf

    import kerasgen.recipes.gan
    from kerasgen.models import build_discriminator
    from kerasgen.recipes import train_gan, train_unet

    # Keras' Dropout draws its mask per replica from the same seed state, so
    # with dropout N replicas match one replica in distribution only, not
    # bitwise: the comparison trains the DCGAN discriminator without it.
    kerasgen.recipes.gan.build_discriminator = functools.partial(
        build_discriminator, dropout=0.0
    )
    # Adam turns the float32 rounding of near-zero gradient components into
    # full-size steps (its update is about lr * sign(g)), so the comparison at
    # 1e-5 trains with plain SGD (as test_trainers_distribution does).
    keras.optimizers.Adam = lambda *args, **kwargs: keras.optimizers.SGD(0.05)

    rng = np.random.default_rng(0)
    gan_images = rng.uniform(-1, 1, (32, 8, 8, 1)).astype("float32")
    unet_images = rng.uniform(0, 1, (4, 32, 32)).astype("float32")

    class Initial(keras.callbacks.Callback):
        """Records the weights a run starts from (to check that it trained)."""

        def on_train_begin(self, logs=None):
            subs = [self.model]
            if hasattr(self.model, "generator"):
                subs = [self.model.generator, self.model.discriminator]
            self.weights = [w.tolist() for sub in subs for w in sub.get_weights()]

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise RuntimeError("simulated crash after epoch 1")

    def gan_run(strategy, out_dir, callbacks=None):
        data = tf.data.Dataset.from_tensor_slices(gan_images).batch(8)
        gan, _ = train_gan(
            data, out_dir, epochs=2, latent_dim=4, base_filters=4, num_samples=4,
            precision="float32", seed=1, strategy=strategy, callbacks=callbacks, verbose=0,
        )  # fmt: skip
        return [
            w.tolist()
            for w in gan.generator.get_weights() + gan.discriminator.get_weights()
        ]

    def unet_run(strategy, out_dir, callbacks=None):
        model, _ = train_unet(
            unet_images, out_dir, epochs=2, steps_per_epoch=3, patch_size=16,
            batch_size=8, model_kwargs={"depth": 1, "base_filters": 4},
            precision="float32", jit_compile=False, seed=2, strategy=strategy,
            callbacks=callbacks, verbose=0,
        )  # fmt: skip
        return [w.tolist() for w in model.get_weights()]

    gan_dir = os.path.join(work_dir, "gan")
    try:
        gan_run(strategy, gan_dir, callbacks=[Crash()])
    except RuntimeError as error:
        assert "simulated crash" in str(error), error
    else:
        raise AssertionError("the crash callback did not stop the first run")
    result = {
        "task": task,
        "chief": is_chief(strategy),
        "replicas": strategy.num_replicas_in_sync,
        "backup_after_crash": sorted(os.listdir(os.path.join(gan_dir, "backup"))),
        "gan": gan_run(strategy, gan_dir),
        "unet": unet_run(strategy, os.path.join(work_dir, "unet")),
    }
    if task == 1:
        single = tf.distribute.OneDeviceStrategy("/cpu:0")
        gan_start, unet_start = Initial(), Initial()
        result["gan_single"] = gan_run(
            single, os.path.join(work_dir, "single_gan"), callbacks=[gan_start]
        )
        result["unet_single"] = unet_run(
            single, os.path.join(work_dir, "single_unet"), callbacks=[unet_start]
        )
        result["gan_initial"] = gan_start.weights
        result["unet_initial"] = unet_start.weights
    with open(os.path.join(work_dir, f"result_{task}.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1])
