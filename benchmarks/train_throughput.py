"""GAN / VAE training throughput: steps/s and images/s, with and without XLA.

Builds the models with the kerasgen builders at their default sizes
(generator / discriminator ``base_filters=64``, ``latent_dim=128``; encoder /
decoder ``base_filters=32``, ``latent_dim=2``), wraps them in ``GAN`` /
``VAE`` and times ``fit`` on synthetic data (one random batch repeated, so
the figure is the models' cost, not the input pipeline's):

* ``--warmup`` steps first (tracing, XLA compilation), reported as
  ``first s``;
* then ``--steps`` steps, timed from the end of the last warm-up step to the
  end of the last step (each step's logs are read, so the time covers the
  computation). Repeated ``--repeats`` times; the best run is reported.

``jit_compile=False`` runs the TensorFlow graph, ``True`` compiles the train
step with XLA (Keras' ``"auto"`` picks False on a CPU-only machine).

The machine may be shared with other work: compare rows through their
ratios, measured in the same run.

Usage::

    python benchmarks/train_throughput.py                        # 28x28x1, batch 64
    python benchmarks/train_throughput.py --image-size 32 --channels 3
    python benchmarks/train_throughput.py --models vae --steps 50 --repeats 3
"""

import argparse
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from kerasgen.models import (
    build_decoder,
    build_discriminator,
    build_encoder,
    build_generator,
)
from kerasgen.trainers import GAN, VAE

MODELS = ("gan", "vae")


class _StepTimer(keras.callbacks.Callback):
    """Records the wall time at the end of every training step."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_end(self, batch, logs=None):
        if logs:  # reading a value waits for the step to finish
            float(np.asarray(next(iter(logs.values()))))
        self.times.append(time.perf_counter())


def build_model(name, image_shape, jit_compile, seed=0):
    """A compiled GAN or VAE with the builders' default sizes."""
    keras.utils.set_random_seed(seed)
    if name == "gan":
        model = GAN(
            build_generator(image_shape=image_shape),
            build_discriminator(image_shape=image_shape),
            seed=seed,
        )
    else:
        model = VAE(
            build_encoder(image_shape=image_shape, seed=seed),
            build_decoder(image_shape=image_shape),
        )
    model.compile(jit_compile=jit_compile)
    return model


def synthetic_batches(name, batch_size, image_shape, seed=0):
    """One random batch in the model's value range, repeated forever."""
    rng = np.random.default_rng(seed)
    lo = -1.0 if name == "gan" else 0.0
    images = rng.uniform(lo, 1.0, (batch_size, *image_shape)).astype("float32")
    return tf.data.Dataset.from_tensors(images).repeat()


def measure(name, batch_size, image_shape, jit_compile, steps, warmup):
    """Returns ``(first_seconds, steps_per_second)`` of one fit run."""
    model = build_model(name, image_shape, jit_compile)
    timer = _StepTimer()
    start = time.perf_counter()
    model.fit(
        synthetic_batches(name, batch_size, image_shape),
        epochs=1,
        steps_per_epoch=warmup + steps,
        callbacks=[timer],
        verbose=0,
        shuffle=False,
    )
    first = timer.times[warmup - 1] - start
    rate = steps / (timer.times[-1] - timer.times[warmup - 1])
    return first, rate


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=28, help="height = width")
    parser.add_argument("--channels", type=int, default=1, choices=(1, 3))
    parser.add_argument("--models", default="gan,vae", help="comma-separated: gan, vae")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--repeats", type=int, default=2, help="runs per row (best)")
    parser.add_argument(
        "--xla", choices=("both", "on", "off"), default="both", help="jit_compile"
    )
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(MODELS))
    if unknown or not models:
        parser.error(f"--models must be some of {MODELS}. Received: {args.models!r}")
    for option in ("batch_size", "image_size", "steps", "warmup", "repeats"):
        if getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be >= 1")
    jit_modes = {"both": (False, True), "on": (True,), "off": (False,)}[args.xla]
    image_shape = (args.image_size, args.image_size, args.channels)
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s) "
        f"visible, devices {sorted(set(devices))}"
    )
    print(
        f"batch {args.batch_size}, images {'x'.join(map(str, image_shape))}, "
        f"{args.warmup} warm-up + {args.steps} timed steps, best of {args.repeats}"
    )
    header = f"{'model':<6}{'xla':<6}{'first s':>9}{'steps/s':>10}{'images/s':>11}"
    print(header)
    print("-" * len(header))
    results = {}
    for name in models:
        for jit in jit_modes:
            runs = [
                measure(
                    name, args.batch_size, image_shape, jit, args.steps, args.warmup
                )
                for _ in range(args.repeats)
            ]
            first = min(r[0] for r in runs)
            rate = max(r[1] for r in runs)
            results[name, jit] = rate
            print(
                f"{name:<6}{'on' if jit else 'off':<6}{first:>9.1f}{rate:>10.2f}"
                f"{rate * args.batch_size:>11.0f}",
                flush=True,
            )
    if len(jit_modes) == 2:
        print()
        for name in models:
            ratio = results[name, True] / results[name, False]
            print(f"{name}: XLA / no XLA = {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
