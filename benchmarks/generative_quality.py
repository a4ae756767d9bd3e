"""Quality of the MNIST GANs and VAEs: FD in a small classifier's features, ELBO, IWAE NLL.

Held-out data is MNIST ``test[8000:]`` (2,000 images never trained on; the
models train on ``test[:8000]``, the only split available offline here), read
from ``$KERASGEN_DATA_DIR``.

**Frechet distance (FD).** InceptionV3 (FID) is neither available offline
nor meaningful for 28x28 digits, so the features are those of a small MNIST
classifier trained by this script (``classifier``): ``Conv2D(32, 3, relu) ->
MaxPool -> Conv2D(64, 3, relu) -> MaxPool -> Flatten -> Dense(128, relu)``
(the 128 features) ``-> Dropout(0.3) -> Dense(10)``, Adam(1e-3), 8 epochs,
batch 128, seed 0, on ``test[:8000]`` with labels; it prints its accuracy on
``test[8000:]``. FD compares 2,000 generated images with the 2,000 held-out
ones (``kerasgen.metrics.frechet_distance`` with the classifier as
extractor); lower is better, and two disjoint sets of real digits are a
floor (printed as ``real vs real``).

Commands::

    python benchmarks/generative_quality.py classifier             # trains, caches it
    python benchmarks/generative_quality.py fd dcgan_mnist runs/gan/gan.keras
    python benchmarks/generative_quality.py gan-precision --epochs 10
    python benchmarks/generative_quality.py vae-precision --epochs 30 --latent-dim 32
    python benchmarks/generative_quality.py nll vae_mnist --num-samples 1000

``gan-precision`` / ``vae-precision`` train the recipe's models
(``train_gan`` / ``train_vae``) with the same seed and number of steps in
``float32`` and with ``precision="auto"`` and print FD / held-out negative
ELBO of each.
"""

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from _cli import non_negative_int, positive_int, run

import kerasgen
from kerasgen.metrics import frechet_distance
from kerasgen.precision import resolve_precision

DEFAULT_CLASSIFIER = os.path.join(
    os.path.expanduser("~"), ".cache", "kerasgen", "mnist_fd_classifier.keras"
)
NUM_FD_IMAGES = 2000


def mnist(split, value_range, with_labels=False):
    dataset = kerasgen.load_dataset(
        "mnist", split, batch_size=1000, value_range=value_range, shuffle=False,
        with_labels=with_labels, download=False,
    )  # fmt: skip
    if not with_labels:
        return np.concatenate(list(dataset.as_numpy_iterator()))
    pairs = list(dataset.as_numpy_iterator())
    return np.concatenate([x for x, _ in pairs]), np.concatenate([y for _, y in pairs])


def train_classifier(path):
    """Trains the FD feature classifier on test[:8000] (images in [-1, 1])."""
    keras.utils.set_random_seed(0)
    x, y = mnist("test[:8000]", (-1, 1), with_labels=True)
    x_val, y_val = mnist("test[8000:]", (-1, 1), with_labels=True)
    layers = keras.layers
    inputs = keras.Input((28, 28, 1))
    h = layers.Conv2D(32, 3, activation="relu")(inputs)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, activation="relu")(h)
    h = layers.MaxPooling2D()(h)
    h = layers.Dense(128, activation="relu", name="features")(layers.Flatten()(h))
    outputs = layers.Dense(10)(layers.Dropout(0.3)(h))
    model = keras.Model(inputs, outputs, name="mnist_fd_classifier")
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=128, epochs=8, verbose=0)
    accuracy = model.evaluate(x_val, y_val, verbose=0, return_dict=True)["accuracy"]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    temp = f"{path[: -len('.keras')]}.partial.keras"  # an interrupted save leaves no unreadable cache file
    model.save(temp)
    os.replace(temp, path)
    print(f"classifier: accuracy on test[8000:] {accuracy:.4f}; saved {path}")
    return model


def feature_extractor(path=DEFAULT_CLASSIFIER):
    model = keras.models.load_model(path) if os.path.exists(path) else train_classifier(path)
    features = keras.Model(model.input, model.get_layer("features").output)
    return lambda images: features(images, training=False)


def load_generator(name_or_path):
    if os.path.exists(name_or_path):
        return keras.models.load_model(name_or_path, compile=False)
    return kerasgen.load_pretrained(name_or_path)


def gan_fd(gan, extract, real, seed=0):
    fake = gan.generate(len(real), seed=seed)
    return frechet_distance(real, fake, extractor=extract, value_range=(-1, 1))


def command_fd(args):
    extract = feature_extractor(args.classifier)
    real = mnist("test[8000:]", (-1, 1))
    train = mnist("test[:8000]", (-1, 1))[:NUM_FD_IMAGES]
    floor = frechet_distance(real, train, extractor=extract, value_range=(-1, 1))
    print(f"real vs real (test[:2000] vs test[8000:]): FD {floor:.2f}")
    for name in args.models:
        gan = load_generator(name)
        values = [gan_fd(gan, extract, real, seed) for seed in range(args.seeds)]
        print(f"{name}: FD {np.mean(values):.2f} (sample seeds {', '.join(f'{v:.2f}' for v in values)})")


def command_gan_precision(args):
    from kerasgen.recipes import train_gan

    extract = feature_extractor(args.classifier)
    real = mnist("test[8000:]", (-1, 1))
    for seed in args.seeds:
        for precision in ("float32", "auto"):
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as out:
                gan, _ = train_gan(
                    "mnist", out, split="test[:8000]", epochs=args.epochs, seed=seed,
                    precision=precision, download=False, verbose=0,
                )  # fmt: skip
            seconds = time.perf_counter() - start
            fd = gan_fd(gan, extract, real)
            print(
                f"gan seed {seed} {precision:<8} ({resolve_precision(precision)}): "
                f"{args.epochs} epochs ({int(gan.g_optimizer.iterations.numpy())} steps) "
                f"in {seconds:.0f} s, FD {fd:.2f}",
                flush=True,
            )


def command_vae_precision(args):
    from kerasgen.recipes import train_vae

    val = kerasgen.load_dataset(
        "mnist", "test[8000:]", batch_size=500, value_range=(0, 1), shuffle=False, download=False
    )
    for precision in args.precisions:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as temp:  # the run folder unless --out keeps it
            out = os.path.join(args.out, precision) if args.out else temp
            vae, _ = train_vae(
                "mnist", out, split="test[:8000]", epochs=args.epochs, latent_dim=args.latent_dim,
                seed=args.seed, precision=precision, download=False, verbose=0, overwrite=args.overwrite,
            )  # fmt: skip
        seconds = time.perf_counter() - start
        scores = [vae.evaluate(val, verbose=0, return_dict=True) for _ in range(3)]
        print(
            f"vae latent {args.latent_dim} {precision:<8} ({resolve_precision(precision)}): "
            f"{args.epochs} epochs in {seconds:.0f} s, held-out -ELBO "
            f"{np.mean([s['loss'] for s in scores]):.2f} nats (reconstruction "
            f"{np.mean([s['reconstruction_loss'] for s in scores]):.2f} + KL "
            f"{np.mean([s['kl_loss'] for s in scores]):.2f})" + (f"; run folder {out}" if args.out else ""),
            flush=True,
        )


def command_nll(args):
    images = mnist("test[8000:]", (0, 1))[: args.num_images]
    val = kerasgen.load_dataset(
        "mnist", "test[8000:]", batch_size=500, value_range=(0, 1), shuffle=False, download=False
    )
    for name in args.models:
        vae = load_generator(name)
        vae.compile()
        elbo = np.mean([vae.evaluate(val, verbose=0, return_dict=True)["loss"] for _ in range(5)])
        start = time.perf_counter()
        log_px = vae.log_likelihood(images, num_samples=args.num_samples, seed=0)
        seconds = time.perf_counter() - start
        print(
            f"{name}: held-out -ELBO {elbo:.2f} nats (test[8000:], mean of 5 draws); "
            f"NLL (IWAE, K={args.num_samples}, {len(images)} images) {-log_px.mean():.2f} nats "
            f"(+- {log_px.std() / np.sqrt(len(images)):.2f} s.e.), {seconds:.0f} s"
        )


def keras_file(text):
    """argparse type: a path ending in .keras (what keras.Model.save writes)."""
    if not text.endswith(".keras"):
        raise argparse.ArgumentTypeError(f"expected a path ending in .keras. Received: {text!r}")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--classifier", type=keras_file, default=DEFAULT_CLASSIFIER,
                        help=f"FD classifier .keras file, trained and written there if missing (default {DEFAULT_CLASSIFIER})")  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("classifier", help="train the FD feature classifier")
    fd = commands.add_parser("fd", help="FD of GANs (shipped names or .keras files)")
    fd.add_argument("models", nargs="+")
    fd.add_argument("--seeds", type=positive_int, default=3, help="sample seeds averaged")
    gp = commands.add_parser("gan-precision", help="train_gan float32 vs auto, equal steps: FD")
    gp.add_argument("--epochs", type=positive_int, default=10)
    gp.add_argument("--seeds", type=non_negative_int, nargs="+", default=[0])
    vp = commands.add_parser("vae-precision", help="train_vae float32 vs auto, equal steps: -ELBO")
    vp.add_argument("--epochs", type=positive_int, default=30)
    vp.add_argument("--latent-dim", type=positive_int, default=32)
    vp.add_argument("--seed", type=non_negative_int, default=0)
    vp.add_argument("--precisions", nargs="+", default=["float32", "auto"])
    vp.add_argument("--out", default=None, help="keep the runs in OUT/<precision>")
    vp.add_argument("--overwrite", action="store_true", help="replace completed runs in OUT (train_vae's overwrite=True)")
    nll = commands.add_parser("nll", help="held-out -ELBO and IWAE NLL of VAEs")
    nll.add_argument("models", nargs="+")
    nll.add_argument("--num-samples", type=positive_int, default=1000)
    nll.add_argument("--num-images", type=positive_int, default=2000)
    args = parser.parse_args(argv)
    for precision in getattr(args, "precisions", ()):
        resolve_precision(precision)  # a bad name is refused before any training
    if args.command == "classifier":
        train_classifier(args.classifier)
    else:
        {
            "fd": command_fd,
            "gan-precision": command_gan_precision,
            "vae-precision": command_vae_precision,
            "nll": command_nll,
        }[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
