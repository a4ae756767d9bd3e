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

``--vs-recipe`` compares, side by side, the keras.io recipes replicated in
``benchmarks/keras_io_recipes.py`` (the "DCGAN overriding train_step" GAN
and the convolutional VAE, float32, each with its own input pipeline) with
``kerasgen.GAN.fit`` / ``kerasgen.VAE.fit`` training **the same networks**
with the recipes' optimizers and batch sizes (64 / 128) on kerasgen's
pipeline (``load_dataset``), in float32 and with ``precision="auto"``
(sub-models built in ``kerasgen.precision.precision_scope("auto")``). The
images are MNIST ``test[:8000]`` when ``$KERASGEN_DATA_DIR`` (or tfds) has
it, else random images. Runs alternate (recipe, kerasgen float32, kerasgen
auto, recipe, ...) and each ratio is the median of the per-round ratios
(``--levers`` adds XLA, two discriminator passes and
``steps_per_execution=8`` rows).

Usage::

    python benchmarks/train_throughput.py                        # 28x28x1, batch 64
    python benchmarks/train_throughput.py --image-size 32 --channels 3
    python benchmarks/train_throughput.py --models vae --steps 50 --repeats 3
    python benchmarks/train_throughput.py --vs-recipe --steps 20 --repeats 3
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
from _cli import run

from kerasgen.models import (
    build_decoder,
    build_discriminator,
    build_encoder,
    build_generator,
)
from kerasgen.trainers import GAN, VAE

MODELS = ("gan", "vae")


class _StepTimer(keras.callbacks.Callback):
    """Records the wall time at the end of every training step (or execution)."""

    def __init__(self):
        super().__init__()
        self.times = []
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        if logs:  # reading a value waits for the step to finish
            float(np.asarray(next(iter(logs.values()))))
        self.times.append(time.perf_counter())
        self.steps.append(batch + 1)

    def rate_after(self, warmup):
        """``(end of the first call past warmup steps, steps/s after it)``."""
        first = next(i for i, step in enumerate(self.steps) if step >= warmup)
        steps = self.steps[-1] - self.steps[first]
        return self.times[first], steps / (self.times[-1] - self.times[first])


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
    data = synthetic_batches(name, batch_size, image_shape)
    return fit_rate(model, data, warmup, steps, shuffle=False)


def fit_rate(model, data, warmup, steps, **fit_kwargs):
    """``(first_seconds, steps_per_second)`` of ``model.fit`` on ``data``."""
    timer = _StepTimer()
    start = time.perf_counter()
    model.fit(
        data, epochs=1, steps_per_epoch=warmup + steps, callbacks=[timer],
        verbose=0, **fit_kwargs,
    )  # fmt: skip
    first_end, rate = timer.rate_after(warmup)
    return first_end - start, rate


def recipe_images():
    """MNIST ``test[:8000]`` in [0, 1] as numpy, or random images; and its name."""
    import kerasgen

    try:
        dataset = kerasgen.load_dataset(
            "mnist", "test[:8000]", batch_size=1000, value_range=(0, 1),
            shuffle=False, download=False,
        )  # fmt: skip
        return np.concatenate(list(dataset.as_numpy_iterator())), "MNIST test[:8000]"
    except (FileNotFoundError, ValueError, ImportError):
        rng = np.random.default_rng(0)
        return rng.uniform(0, 1, (8000, 28, 28, 1)).astype("float32"), "random images"


def kerasgen_pipeline(images, batch_size):
    """kerasgen's input pipeline (``load_dataset``'s) for in-memory images."""
    from kerasgen.data.pipelines import array_pipeline

    uint8 = np.round(images * 255).astype("uint8")
    return array_pipeline(
        uint8, np.zeros(len(uint8), "int32"), batch_size=batch_size, image_size=None,
        value_range=(0.0, 1.0), channels=None, with_labels=False, shuffle=True,
        seed=0, drop_remainder=True,
    ).repeat()  # fmt: skip


def recipe_configs(name, images, levers):
    """``{label: (make_model, make_data, fit_kwargs)}`` of one side-by-side comparison."""
    import keras_io_recipes as R

    from kerasgen.precision import precision_scope

    def kerasgen_model(precision="float32", **compile_kwargs):
        def make():
            keras.utils.set_random_seed(0)
            with precision_scope(precision):
                if name == "gan":
                    model = GAN(R.recipe_generator(), R.recipe_discriminator(),
                                seed=0, data_range=(0.0, 1.0))  # fmt: skip
                    model.compile(
                        keras.optimizers.Adam(3e-4), keras.optimizers.Adam(3e-4),
                        **compile_kwargs,
                    )  # fmt: skip
                else:
                    model = VAE(R.recipe_encoder(), R.recipe_decoder())
                    model.compile(keras.optimizers.Adam(), **compile_kwargs)
            return model

        return make

    batch = 64 if name == "gan" else 128
    ours = lambda: kerasgen_pipeline(images, batch)  # noqa: E731
    if name == "gan":
        recipe = (R.recipe_gan, lambda: R.recipe_gan_dataset(images).repeat(), {})
    else:
        recipe = (R.recipe_vae, lambda: images, {"batch_size": batch})
    configs = {
        "keras-io recipe": recipe,
        "kerasgen float32": (kerasgen_model(), ours, {}),
        "kerasgen auto": (kerasgen_model("auto"), ours, {}),
    }
    if levers:
        configs["kerasgen float32, XLA"] = (kerasgen_model(jit_compile=True), ours, {})
        configs["kerasgen float32, steps_per_execution=8"] = (
            kerasgen_model(steps_per_execution=8), ours, {},
        )  # fmt: skip
        if name == "gan":
            configs["kerasgen float32, two D passes"] = (
                kerasgen_model(joint_discriminator=False), ours, {},
            )  # fmt: skip
    return configs


def run_vs_recipe(args, models):
    """Side-by-side mode: prints steps/s and ratios to the keras.io recipes."""
    from kerasgen.precision import resolve_precision

    images, source = recipe_images()
    print(f"data: {source}; precision auto = {resolve_precision('auto')}; "
          f"{args.warmup} warm-up + {args.steps} timed steps, {args.repeats} alternating rounds")  # fmt: skip
    header = f"{'model':<6}{'trainer':<42}{'first s':>8}{'steps/s':>9}{'images/s':>10}{'x recipe':>10}"
    print(header)
    print("-" * len(header))
    for name in models:
        configs = recipe_configs(name, images, args.levers)
        rates = {label: [] for label in configs}
        firsts = {label: [] for label in configs}
        for _ in range(args.repeats):
            for label, (make_model, make_data, fit_kwargs) in configs.items():
                if name == "vae" and label == "keras-io recipe":
                    fit_kwargs = {**fit_kwargs, "shuffle": True}
                warmup, steps = args.warmup, args.steps
                if label.endswith("steps_per_execution=8"):  # whole executions
                    warmup, steps = 8 * -(-warmup // 8), 8 * -(-steps // 8)
                first, rate = fit_rate(make_model(), make_data(), warmup, steps, **fit_kwargs)
                rates[label].append(rate)
                firsts[label].append(first)
        batch = 64 if name == "gan" else 128
        base = np.asarray(rates["keras-io recipe"])
        for label in configs:
            ratio = float(np.median(np.asarray(rates[label]) / base))
            best = max(rates[label])
            print(
                f"{name:<6}{label:<42}{min(firsts[label]):>8.1f}{best:>9.2f}"
                f"{best * batch:>10.0f}{ratio:>9.2f}x",
                flush=True,
            )
    return 0


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
    parser.add_argument(
        "--vs-recipe", action="store_true",
        help="side by side with the keras.io recipes (same networks, 28x28x1, the recipes' batch sizes; "
        "--batch-size, --image-size, --channels and --xla do not apply): ratios",
    )  # fmt: skip
    parser.add_argument(
        "--levers", action="store_true",
        help="with --vs-recipe: also XLA, two D passes, steps_per_execution=8",
    )  # fmt: skip
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(MODELS))
    if unknown or not models:
        parser.error(f"--models must be some of {MODELS}. Received: {args.models!r}")
    for option in ("batch_size", "image_size", "steps", "warmup", "repeats"):
        if getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be >= 1")
    if args.vs_recipe:
        ignored = [f"--{name.replace('_', '-')}" for name in ("batch_size", "image_size", "channels", "xla")
                   if getattr(args, name) != parser.get_default(name)]  # fmt: skip
        if ignored:
            parser.error(
                f"--vs-recipe trains the recipes' own 28x28x1 networks at their batch sizes (64 / 128), so "
                f"these options do not apply to it: {', '.join(ignored)} (--levers adds XLA rows)"
            )
        return run_vs_recipe(args, models)
    if args.levers:
        parser.error("--levers goes with --vs-recipe")
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
    sys.exit(run(main))
