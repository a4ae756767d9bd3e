"""The `kerasgen` command line.

Each command is a pair of functions: `_add_<name>_parser(subparsers)` declares
its arguments (and sets `run=_run_<name>`), `_run_<name>(args)` does the work
and returns the exit code. To add a command, write the pair and append the
`_add_..._parser` function to `_PARSER_BUILDERS`. Heavy imports (TensorFlow,
scikit-image...) go inside `_run_<name>`, so that `kerasgen --help` stays fast
and commands that do not need TensorFlow never import it.

User mistakes (missing file, bad value...) print `kerasgen <command>: error:
...` on stderr and exit with status 2, without a traceback.

Every command refuses to write over its own input, and over an existing output
unless `--overwrite` is given; output folders are checked for writability
before any computation. TensorFlow's native log lines (CUDA probing, oneDNN
notes...) are hidden unless `--verbose` is given.
"""

import argparse
import contextlib
import io
import logging
import math
import os
import re
import sys
import time

from kerasgen import __version__

_DESCRIPTION = """\
kerasgen: image generation (GAN, VAE) and image restoration (BM3D, NL-means,
TV, wavelets, U-Net) on Keras 3 + TensorFlow. The restoration commands below
run on numpy / scikit-image / bm3d only and never import TensorFlow."""

_EPILOG = """\
examples:
  kerasgen compare
      denoise skimage's camera image (noise sigma 25, seed 0) with every
      classical method; print PSNR / SSIM / time, write
      compare_camera_sigma25.png and .csv in the current folder
  kerasgen compare --image astronaut --sigma 50 --methods nl_means,tv --out results
  kerasgen restore noisy.png denoised.png --method bm3d --sigma 25
  kerasgen restore blurred.png sharp.png --method wiener --psf-std 1.6
  kerasgen restore holes.png filled.png --method biharmonic --mask mask.png

Noise levels (--sigma) are given in 8-bit grey levels (0-255), e.g. 25.
Existing outputs are only replaced with --overwrite; --verbose shows
TensorFlow's own log messages. Run `kerasgen COMMAND --help` for the options
of a command."""

# Errors that are the user's (bad file, bad value, missing optional package):
# reported in one line, exit status 2.
_USER_ERRORS = (ValueError, OSError, ImportError)

# `compare --image` names: scikit-image's bundled sample images (no download).
SAMPLE_IMAGES = (
    "camera", "astronaut", "brick", "chelsea", "clock", "coffee", "coins",
    "grass", "gravel", "moon", "page", "rocket", "text",
)  # fmt: skip


def main(argv=None):
    """Runs the `kerasgen` command line.

    Args:
        argv: list of arguments without the program name; None reads
            `sys.argv[1:]`.

    Returns:
        The exit status: 0 on success, 2 on a usage or input error.

    Example:

    >>> main(["compare", "--methods", "tv", "--out", "results"])  # doctest: +SKIP
    0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error
        return _exit_status(exit_.code)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        with _native_logs(verbose=args.verbose):
            return args.run(args)
    except _USER_ERRORS as error:
        print(f"kerasgen {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"kerasgen {args.command}: interrupted", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _native_logs(verbose):
    """Hides TensorFlow's native (C++) log lines unless `verbose`.

    TensorFlow 2.x writes them straight to file descriptor 2, and recent
    versions ignore TF_CPP_MIN_LOG_LEVEL before absl logging is initialised,
    so descriptor 2 is pointed at the null device while Python's own stderr
    (errors, warnings) keeps writing to the terminal. Only done when
    `sys.stderr` is the process's descriptor 2 (not under a test runner's
    capture).
    """
    if verbose:
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in ("absl", "tensorflow"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        redirect = sys.stderr.fileno() == 2
    except (AttributeError, ValueError, io.UnsupportedOperation):
        redirect = False
    if not redirect:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    python_stderr = sys.stderr
    sys.stderr = open(saved, "w", buffering=1, encoding=python_stderr.encoding, closefd=False)  # noqa: SIM115
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _add_common_options(parser, *, overwrite_help=None):
    """--verbose (and --overwrite when the command writes files)."""
    parser.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS,
        help="show TensorFlow's own log messages (hidden by default)",
    )  # fmt: skip
    if overwrite_help:
        parser.add_argument("--overwrite", action="store_true", help=overwrite_help)


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="kerasgen",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kerasgen {__version__}")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log messages")
    subparsers = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for add_parser in _PARSER_BUILDERS:
        add_parser(subparsers)
    return parser


# ---------------------------------------------------------------- arg types


def _grey_levels(text):
    """argparse type: a noise standard deviation in 8-bit grey levels."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= 255):
        raise argparse.ArgumentTypeError(
            f"expected a noise standard deviation in 8-bit grey levels, between 0 and 255 (e.g. 25). "
            f"Received: {text!r}"
        )
    return value


def _positive_float(text):
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0. Received: {text!r}")
    return value


def _positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1. Received: {text!r}")
    return value


def _non_negative_int(text):
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0. Received: {text!r}")
    return value


def _method_list(text):
    """argparse type: comma-separated method names."""
    methods = tuple(name.strip() for name in text.split(",") if name.strip())
    if not methods:
        raise argparse.ArgumentTypeError(f"expected comma-separated method names. Received: {text!r}")
    return methods


# ------------------------------------------------------------------ restore

_RESTORE_EPILOG = """\
methods:
  denoising:   bm3d (best, needs `pip install "kerasgen[bm3d]"`), nl_means, tv,
               wavelet, bilateral; --sigma (estimated when left out)
  deblurring:  bm3d_deblur, richardson_lucy, wiener; --psf-std (Gaussian blur
               kernel) and optionally --psf-size, --sigma
  inpainting:  biharmonic; --mask (white = missing pixel)
  learned:     unet (shipped grey or colour U-Net denoiser, chosen from the
               image's channels; imports TensorFlow); --sigma (noise level
               given to the model, estimated when left out), --tile, --overlap

The output is clipped to [0, 1] and written atomically; its format follows the
extension (.png, .jpg, .tif). An existing OUTPUT is only replaced with
--overwrite, and OUTPUT may never be INPUT.

examples:
  kerasgen restore noisy.png denoised.png --method bm3d --sigma 25
  kerasgen restore noisy.png denoised.png --method nl_means
  kerasgen restore blurred.png sharp.png --method bm3d_deblur --psf-std 1.6 --sigma 2
  kerasgen restore holes.png filled.png --method biharmonic --mask mask.png"""


def _add_restore_parser(subparsers):
    from kerasgen.restoration.repair import REPAIR_METHODS

    parser = subparsers.add_parser(
        "restore",
        help="denoise, deblur or inpaint an image file",
        description="Restore an image file with a classical method (or the U-Net) and save the result.",
        epilog=_RESTORE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT", help="image to restore (PNG, JPEG, TIFF, ...)")
    parser.add_argument("output", metavar="OUTPUT", help="where to write the result (.png, .jpg or .tif)")
    parser.add_argument(
        "--method", default="bm3d", choices=REPAIR_METHODS, metavar="METHOD",
        help="restoration method (default: bm3d); one of: " + ", ".join(REPAIR_METHODS),
    )  # fmt: skip
    parser.add_argument(
        "--sigma", type=_grey_levels, default=None,
        help="noise standard deviation in 8-bit grey levels (0-255), e.g. 25; default: estimated from the image",
    )  # fmt: skip
    parser.add_argument(
        "--psf-std", type=_positive_float, default=None,
        help="deblurring: standard deviation in pixels of the Gaussian blur kernel (required)",
    )  # fmt: skip
    parser.add_argument(
        "--psf-size", type=_positive_int, default=None,
        help="deblurring: odd side of the blur kernel in pixels (default: 2 * ceil(3 * psf-std) + 1)",
    )  # fmt: skip
    parser.add_argument("--mask", default=None, metavar="PATH", help="inpainting: mask image, white = missing pixel")
    parser.add_argument("--bit-depth", type=int, choices=(8, 16), default=8, help="output bit depth (default: 8)")
    parser.add_argument("--tile", type=_positive_int, default=None, help="unet: tile size in pixels")
    parser.add_argument("--overlap", type=_non_negative_int, default=None, help="unet: tile overlap (default 32)")
    _add_common_options(parser, overwrite_help="replace OUTPUT if it exists (never allowed when OUTPUT is INPUT)")
    parser.set_defaults(run=_run_restore)


def _run_restore(args):
    import numpy as np

    from kerasgen.restoration._atomic import check_new_output
    from kerasgen.restoration.degradations import gaussian_psf
    from kerasgen.restoration.denoising import estimate_noise_sigma
    from kerasgen.restoration.io import check_save_path, read_image, save_image
    from kerasgen.restoration.repair import method_task, repair_image

    task = method_task(args.method)
    _check_restore_options(args, task)
    check_save_path(args.output, bit_depth=args.bit_depth)
    check_new_output(args.output, overwrite=args.overwrite, inputs=(args.input, args.mask))
    image = read_image(args.input)
    kwargs = {}
    if task in ("denoise", "deblur"):
        if args.sigma is None:
            sigma = estimate_noise_sigma(image)
            print(f"estimated noise sigma: {sigma * 255:.1f} grey levels")
        else:
            sigma = args.sigma / 255
        kwargs["sigma"] = sigma
    if task == "deblur":
        size = args.psf_size or 2 * math.ceil(3 * args.psf_std) + 1
        kwargs["psf"] = gaussian_psf(size, args.psf_std)
    if task == "inpaint":
        kwargs["mask"] = _read_mask(args.mask, image.shape[:2])
    if task == "learned":
        kwargs["tile"] = args.tile
        if args.overlap is not None:
            kwargs["overlap"] = args.overlap
        if args.sigma is not None:
            kwargs["sigma"] = args.sigma / 255
    start = time.perf_counter()
    restored = repair_image(image, args.method, **kwargs)
    seconds = time.perf_counter() - start
    path = save_image(args.output, np.clip(restored, 0, 1), bit_depth=args.bit_depth)
    print(f"wrote {path} ({args.method}, {seconds:.1f} s)")
    return 0


def _check_restore_options(args, task):
    used = {
        "denoise": {"sigma"},
        "deblur": {"sigma", "psf_std", "psf_size"},
        "inpaint": {"mask"},
        "learned": {"tile", "overlap", "sigma"},
    }[task]
    for option in ("sigma", "psf_std", "psf_size", "mask", "tile", "overlap"):
        if getattr(args, option) is not None and option not in used:
            flag = "--" + option.replace("_", "-")
            raise ValueError(f"{flag} is not used by --method {args.method} ({task}).")
    if task == "deblur" and args.psf_std is None:
        raise ValueError(f"--method {args.method} needs the blur kernel: give --psf-std (e.g. --psf-std 1.6).")
    if task == "inpaint" and args.mask is None:
        raise ValueError(f"--method {args.method} needs --mask PATH (an image, white = missing pixel).")


def _read_mask(path, shape):
    from kerasgen.restoration.io import read_image

    mask = read_image(path, alpha="drop")
    if mask.ndim == 3:
        mask = mask.mean(axis=-1)
    if mask.shape != tuple(shape):
        raise ValueError(f"the mask {path!r} must have the image's size {tuple(shape)}. Received: {mask.shape}")
    return mask > 0.5


# ------------------------------------------------------------------ compare

_COMPARE_EPILOG = """\
Adds Gaussian noise (seeded) to a clean image, restores it with each method
(given the true sigma), prints PSNR / SSIM / seconds and writes the figure
(clean | noisy | results) and the table as compare_<image>_sigma<sigma>.png
and .csv into --out.

--image takes a scikit-image sample (no download): {samples};
or the path of an image file.

examples:
  kerasgen compare
  kerasgen compare --image coffee --sigma 15 --methods bm3d,nl_means
  kerasgen compare --image photo.png --out results"""


def _add_compare_parser(subparsers):
    parser = subparsers.add_parser(
        "compare",
        help="compare denoising methods on a noisy image (table + figure)",
        description="Compare restoration methods on a clean image with added noise.",
        epilog=_COMPARE_EPILOG.format(samples=", ".join(SAMPLE_IMAGES)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--image", default="camera", metavar="NAME|PATH",
        help="scikit-image sample name or image file (default: camera)",
    )  # fmt: skip
    parser.add_argument(
        "--sigma", type=_grey_levels, default=25.0,
        help="noise standard deviation in 8-bit grey levels (0-255; default: 25)",
    )  # fmt: skip
    parser.add_argument(
        "--methods", type=_method_list, default=None, metavar="M1,M2,...",
        help="comma-separated denoising methods (default: bm3d,nl_means,tv,wavelet,bilateral; "
        "bm3d is skipped when not installed); unet is accepted too",
    )  # fmt: skip
    parser.add_argument("--seed", type=_non_negative_int, default=0, help="noise seed (default: 0)")
    parser.add_argument("--out", default=".", metavar="DIR", help="output folder, created if needed (default: .)")
    _add_common_options(parser, overwrite_help="replace the figure and table if they exist")
    parser.set_defaults(run=_run_compare)


def _run_compare(args):
    from kerasgen.restoration._bm3d_compat import INSTALL_HINT
    from kerasgen.restoration.comparison import (
        compare,
        default_methods,
        format_table,
        save_figure,
        save_table,
    )
    from kerasgen.restoration.degradations import add_gaussian_noise
    from kerasgen.restoration.repair import DENOISE_REPAIR_METHODS

    if args.sigma == 0:
        raise ValueError("--sigma must be > 0: there is nothing to compare without noise.")
    allowed = DENOISE_REPAIR_METHODS + ("unet",)
    if args.methods is None:
        methods = default_methods(warn=False)
        if "bm3d" not in methods:
            print(f"note: bm3d is not installed, skipping it ({INSTALL_HINT})", file=sys.stderr)
    else:
        methods = args.methods
        for method in methods:
            if method not in allowed:
                raise ValueError(f"unknown method {method!r} for --methods. Expected some of: {', '.join(allowed)}")
    from kerasgen.restoration._atomic import check_new_output

    name, clean = _load_compare_image(args.image)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise NotADirectoryError(f"--out must be a folder. Received: {args.out!r} (a file)")
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"compare_{name}_sigma{args.sigma:g}")
    for suffix in (".png", ".csv"):
        check_new_output(stem + suffix, overwrite=args.overwrite, inputs=(args.image,))
    sigma = args.sigma / 255
    noisy = add_gaussian_noise(clean, sigma, seed=args.seed)
    label = f"{name}, noise sigma {args.sigma:g}/255, seed {args.seed}"
    rows, figure = compare(clean, noisy, methods, sigma=sigma, title=label)
    print(format_table(rows, title=label))
    for path in (save_figure(stem + ".png", figure), save_table(stem + ".csv", rows)):
        print(f"wrote {path}")
    return 0


def _load_compare_image(value):
    """Returns (name, float image) for a sample name or an image path."""
    if os.path.exists(value) or value not in SAMPLE_IMAGES:
        if not os.path.exists(value):
            raise FileNotFoundError(
                f"--image {value!r} is neither an image file nor a sample name ({', '.join(SAMPLE_IMAGES)})."
            )
        from kerasgen.restoration.io import read_image

        stem = os.path.splitext(os.path.basename(os.path.normpath(value)))[0]
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem) or "image", read_image(value)
    from skimage import data, img_as_float32

    return value, img_as_float32(getattr(data, value)())


# ------------------------------------------------------------------- export

_EXPORT_EPILOG = """\
Loads a .keras file (a kerasgen GAN, a VAE, a generator or an image restorer
such as the U-Net) and writes a SavedModel for TensorFlow Serving to
OUT/NAME/VERSION/ (saved_model.pb + variables/), then prints the signatures
with their named inputs and outputs. The SavedModel loads with TensorFlow
alone (tf.saved_model.load, TF Serving); kerasgen is not needed to serve it.

signatures:
  GAN / generator:  serving_default (latent [+ labels] -> images),
                    generate (num_images or labels, seed -> images)
  VAE:              serving_default (latent -> images), encode (images ->
                    z_mean, z_log_var), generate (num_images, seed -> images)
  restorer (U-Net): serving_default (images of any size [+ noise_sigma] ->
                    restored, clipped to [0, 1]), restore_uint8

examples:
  kerasgen export unet.keras --out saved_models --name unet --version 1
  kerasgen export gan.keras --name mnist_gan --version 2 --overwrite
  docker run -p 8501:8501 -v "$PWD/saved_models/unet:/models/unet" \\
      -e MODEL_NAME=unet tensorflow/serving"""


def _add_export_parser(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="export a .keras model as a SavedModel for TensorFlow Serving",
        description="Export a GAN, VAE, generator or U-Net (.keras file) for TensorFlow Serving.",
        epilog=_EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL", help="the .keras file to export")
    parser.add_argument(
        "--out", default="saved_models", metavar="DIR",
        help="folder holding one sub-folder per served model (default: saved_models)",
    )  # fmt: skip
    parser.add_argument(
        "--name", default=None,
        help="model name, the folder under --out (default: generator, vae or unet according to the model)",
    )  # fmt: skip
    parser.add_argument("--version", type=_version_number, default=1, help="version folder number (default: 1)")
    _add_common_options(parser, overwrite_help="replace an existing version folder")
    parser.set_defaults(run=_run_export)


def _version_number(text):
    """argparse type: a version folder number, 1 to 2**63 - 1 (TF Serving's int64)."""
    value = _positive_int(text)
    if value > 2**63 - 1:
        raise argparse.ArgumentTypeError(f"expected a version number below 2**63 (TF Serving's int64). Received: {text!r}")
    return value


def _run_export(args):
    import zipfile

    if not os.path.isfile(args.model):
        raise FileNotFoundError(f"MODEL must be a .keras file. Received: {args.model!r} (not found)")
    if not zipfile.is_zipfile(args.model):
        raise ValueError(
            f"could not load {args.model!r} as a Keras model: the file exists but is not a .keras "
            "file saved by model.save() (a zip archive). Received: a file that is not a Keras model"
        )
    from kerasgen.export import check_export_target

    check_export_target(args.out, args.name, args.version, overwrite=args.overwrite)
    import keras

    # Registers kerasgen's custom objects (GAN, VAE, layers) for load_model.
    import kerasgen.models
    import kerasgen.trainers  # noqa: F401
    from kerasgen.export import export_for_serving, serving_signatures

    try:
        model = keras.saving.load_model(args.model, compile=False)
    except Exception as error:  # a corrupt file or not a Keras model
        raise ValueError(f"could not load {args.model!r} as a Keras model: {error}") from error
    try:
        path = export_for_serving(model, args.out, name=args.name, version=args.version, overwrite=args.overwrite)
    except TypeError as error:  # an unsupported object: the user's input
        raise ValueError(str(error)) from error
    print(f"wrote {path} ({type(model).__name__} {model.name!r})")
    print("signatures:")
    for signature, tensors in serving_signatures(path).items():
        inputs = ", ".join(_describe_spec(n, s) for n, s in tensors["inputs"].items())
        outputs = ", ".join(_describe_spec(n, s) for n, s in tensors["outputs"].items())
        print(f"  {signature}: {inputs} -> {outputs}")
    return 0


def _describe_spec(name, spec):
    """`images float32 (-1, -1, -1, 1)`: dynamic dimensions as -1, like saved_model_cli."""
    dims = ", ".join("-1" if d is None else str(d) for d in spec.shape)
    if spec.shape.rank == 1:
        dims += ","
    return f"{name} {spec.dtype.name} ({dims})"


# -------------------------------------------------------------------- train

_TRAIN_EPILOG = """\
Each model is trained by a recipe of kerasgen.recipes (train_gan, train_vae,
train_unet) with Keras' progress bar. Run `kerasgen train MODEL --help` for
the options of a model.

examples:
  KERASGEN_DATA_DIR=../shared/data kerasgen train gan --dataset mnist --split "test[:8000]" --epochs 20
  kerasgen train vae --dataset fashion_mnist --epochs 30 --out runs/vae_fashion
  kerasgen train unet --data ../shared/data/train400 --epochs 40 --pixel-unshuffle 2"""

_TRAIN_OUTPUTS = """\
Writes into --out (default runs/{model}): {model}.keras (after every epoch and
at the end), samples/samples_epoch_NNN.png (the same latent points every
epoch), history.csv, loss_curves.png, and backup/ while the run is
unfinished: re-running the same command after an interruption resumes from
the last completed epoch. A completed run is not resumed: the same command
refuses to replace it unless --overwrite is given.

Named datasets (mnist, fashion_mnist, cifar10) are read from local copies
under --data-dir or $KERASGEN_DATA_DIR (mnist/t10k-images-idx3-ubyte.gz, ...;
works offline), else downloaded with TensorFlow Datasets (failing within
seconds when offline). Any other --dataset is a folder of images, read with
its sub-folders (class sub-folders give the labels of --conditional).

example:
  {example}"""

_TRAIN_EXAMPLES = {
    "gan": 'KERASGEN_DATA_DIR=../shared/data kerasgen train gan --dataset mnist --split "test[:8000]" --epochs 20',
    "vae": 'KERASGEN_DATA_DIR=../shared/data kerasgen train vae --split "test[:8000]" --epochs 30\n'
    '      (validates on "test[8000:]", the rest of the test split)',
}

_UNET_EPILOG = """\
Trains on random patches of the clean images in --data and its sub-folders
(any size; PNG, JPEG, BMP or GIF: TIFF files are not read, convert them to
PNG first), each with Gaussian noise of a random sigma in [0, --sigma-max]
(blind denoising), with Adam and a cosine-decayed learning rate. Writes into
--out (default runs/unet): best.keras (best validation PSNR, or lowest
training loss without --validation-data), last.keras, history.csv,
loss_curves.png, and backup/ while unfinished (re-running the same command
resumes). A completed run is only replaced with --overwrite.

example:
  kerasgen train unet --data ../shared/data/train400 --epochs 40 --steps-per-epoch 250 \\
      --patch-size 64 --depth 3 --base-filters 32 --pixel-unshuffle 2"""

_TRAIN_OVERWRITE_HELP = "start a new run in --out even if it holds a completed run (whose files are replaced)"

# Same names as kerasgen.trainers.GAN.compile(loss=...).
_GAN_LOSSES = ("non_saturating", "hinge", "wgan_gp")


def _add_train_parser(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="train a GAN, a VAE or a U-Net denoiser (imports TensorFlow)",
        description="Train a model with Keras' fit: checkpoints, sample grids and loss curves; resumable.",
        epilog=_TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    models = parser.add_subparsers(dest="model", title="models", metavar="MODEL", required=True)
    for model, summary, description in (
        (
            "gan",
            "DCGAN, optionally class-conditional (--conditional); sample grids every epoch",
            "Train a DCGAN (optionally class-conditional) on an image dataset.",
        ),
        (
            "vae",
            "convolutional VAE, validated on --validation-split; sample grids every epoch",
            "Train a convolutional VAE on an image dataset, with validation.",
        ),
    ):
        sub = models.add_parser(
            model,
            help=summary,
            description=description,
            epilog=_TRAIN_OUTPUTS.format(model=model, example=_TRAIN_EXAMPLES[model]),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_generative_options(sub, model)
        _add_common_options(sub, overwrite_help=_TRAIN_OVERWRITE_HELP)
        sub.set_defaults(run=_run_train)
    sub = models.add_parser(
        "unet",
        help="U-Net blind denoiser on random patches of a folder of clean images",
        description="Train a U-Net blind denoiser on a folder of clean images.",
        epilog=_UNET_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_unet_options(sub)
    _add_common_options(sub, overwrite_help=_TRAIN_OVERWRITE_HELP)
    sub.set_defaults(run=_run_train)


def _add_generative_options(parser, model):
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset", default="mnist", metavar="NAME|PATH",
        help="mnist, fashion_mnist, cifar10, or a folder of images (default: mnist)",
    )  # fmt: skip
    data.add_argument(
        "--split", default="train",
        help='training split, tfds-style: train, test, "test[:8000]", "train[:90%%]" (default: train)',
    )  # fmt: skip
    if model == "vae":
        data.add_argument(
            "--validation-split", default="auto", metavar="SPLIT",
            help='validation split, e.g. "test[8000:]"; "none" for no validation; "auto" (default): the '
            'rest of a "NAME[:stop]" --split, or test for the whole train split of a named dataset',
        )  # fmt: skip
    data.add_argument(
        "--data-dir", default=None, metavar="DIR",
        help="folder holding local copies of the named datasets (default: $KERASGEN_DATA_DIR)",
    )  # fmt: skip
    data.add_argument(
        "--no-download", dest="download", action="store_false",
        help="never download a named dataset: use local copies only (fails fast offline)",
    )  # fmt: skip
    data.add_argument(
        "--image-size", type=_positive_int, nargs=2, default=None, metavar=("HEIGHT", "WIDTH"),
        help="resize the images (default: their own size); even, at least 8, e.g. 32 32",
    )  # fmt: skip
    data.add_argument("--channels", type=int, choices=(1, 3), default=None, help="convert to 1 or 3 channels")
    net = parser.add_argument_group("model")
    net.add_argument(
        "--latent-dim", type=_positive_int, default=None, metavar="N",
        help=f"size of the latent space (default: {128 if model == 'gan' else 2})",
    )  # fmt: skip
    net.add_argument(
        "--base-filters", type=_positive_int, default=None, metavar="N",
        help=f"width of the outer convolution blocks (default: {64 if model == 'gan' else 32})",
    )  # fmt: skip
    if model == "gan":
        net.add_argument("--conditional", action="store_true", help="class-conditional GAN (uses the labels)")
        net.add_argument(
            "--loss", choices=_GAN_LOSSES, default="non_saturating",
            help="adversarial loss (default: non_saturating)",
        )  # fmt: skip
    else:
        net.add_argument("--beta", type=_non_negative_float, default=1.0, help="weight of the KL term (default: 1)")
        net.add_argument(
            "--likelihood", choices=("bernoulli", "gaussian"), default="bernoulli",
            help="reconstruction likelihood (default: bernoulli)",
        )  # fmt: skip
    output = _add_fit_options(
        parser, default_epochs=20 if model == "gan" else 30, default_batch=64 if model == "gan" else 128, model=model
    )
    output.add_argument(
        "--num-samples", type=_positive_int, default=64, metavar="N", help="images per sample grid (default: 64)"
    )


def _add_fit_options(parser, *, default_epochs, default_batch, default_steps="one pass over the data", model):
    """Adds the `training` options and returns the `output` argument group."""
    fit = parser.add_argument_group("training")
    fit.add_argument(
        "--epochs", type=_positive_int, default=None, metavar="N", help=f"number of epochs (default: {default_epochs})"
    )
    fit.add_argument(
        "--batch-size", type=_positive_int, default=None, metavar="N",
        help=f"images per batch (default: {default_batch})",
    )  # fmt: skip
    fit.add_argument(
        "--steps-per-epoch", type=_positive_int, default=None, metavar="N",
        help=f"batches per epoch (default: {default_steps})",
    )  # fmt: skip
    fit.add_argument(
        "--seed", type=_non_negative_int, default=0, metavar="N", help="seed of weights, shuffling, noise (default: 0)"
    )
    fit.add_argument(
        "--xla", action=argparse.BooleanOptionalAction, default=None,
        help="compile the train step with XLA (default: Keras' choice, off on CPU)",
    )  # fmt: skip
    output = parser.add_argument_group("output")
    output.add_argument("--out", default=None, metavar="DIR", help=f"output folder (default: runs/{model})")
    return output


def _add_unet_options(parser):
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data", required=True, metavar="DIR",
        help="folder of clean training images (PNG, JPEG, BMP, GIF; sub-folders included)",
    )  # fmt: skip
    data.add_argument(
        "--validation-data", default=None, metavar="DIR",
        help="folder of clean validation images (noise sigma 25, seeded)",
    )  # fmt: skip
    data.add_argument("--channels", type=int, choices=(1, 3), default=1, help="1 (gray, default) or 3 (RGB)")
    data.add_argument(
        "--sigma-max", type=_grey_levels, default=None, metavar="SIGMA",
        help="largest training noise sigma in 8-bit grey levels (default: 55)",
    )  # fmt: skip
    data.add_argument(
        "--patch-size", type=_positive_int, default=None, metavar="N",
        help="side of the training patches, a multiple of 2**depth * pixel-unshuffle (default: 64)",
    )  # fmt: skip
    net = parser.add_argument_group("model")
    net.add_argument(
        "--depth", type=_positive_int, default=None, metavar="N", help="number of 2x downsamplings (default: 4)"
    )
    net.add_argument(
        "--base-filters", type=_positive_int, default=None, metavar="N",
        help="channels of the first level (default: 32)",
    )  # fmt: skip
    net.add_argument(
        "--pixel-unshuffle", type=_positive_int, default=None, metavar="N",
        help="FFDNet pixel-unshuffle factor; 2 needs about 4x fewer operations (default: 1, off)",
    )  # fmt: skip
    net.add_argument(
        "--noise-level-input", action="store_true",
        help="give the model the noise sigma of each patch as a second input (FFDNet); "
        "restore() then takes --sigma or estimates it",
    )  # fmt: skip
    net.add_argument(
        "--block", choices=("plain", "residual"), default=None,
        help="plain U-Net levels (default) or DRUNet-style residual blocks",
    )  # fmt: skip
    net.add_argument(
        "--precision", choices=("auto", "float32", "mixed_bfloat16", "mixed_float16"), default="auto",
        help="training precision (default auto: mixed_bfloat16 on a CPU with native bfloat16, "
        "mixed_float16 on a GPU, else float32); the saved models are float32 either way",
    )  # fmt: skip
    _add_fit_options(parser, default_epochs=50, default_batch=16, default_steps=400, model="unet")


def _non_negative_float(text):
    """argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a number >= 0. Received: {text!r}")
    return value


def _given(args, **names):
    """Keyword arguments for the options that were given (recipe defaults otherwise)."""
    return {key: getattr(args, option) for key, option in names.items() if getattr(args, option) is not None}


def _check_train_out_dir(out_dir, model, overwrite):
    """Refuses, before training, an unwritable --out or a completed run without --overwrite.

    An unfinished run (its backup/ folder present) is resumed, as documented.
    """
    from kerasgen.restoration._atomic import check_writable_folder

    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise NotADirectoryError(f"--out must be a folder. Received: {out_dir!r} (a file)")
    existing = os.path.abspath(out_dir)
    while not os.path.isdir(existing):
        existing = os.path.dirname(existing)
    check_writable_folder(existing, what=out_dir)
    if overwrite or os.path.isdir(os.path.join(out_dir, "backup")):
        return
    outputs = {"gan": ("gan.keras",), "vae": ("vae.keras",), "unet": ("best.keras", "last.keras")}[model]
    done = [name for name in outputs if os.path.exists(os.path.join(out_dir, name))]
    if done:
        raise FileExistsError(
            f"{out_dir!r} holds a completed run ({', '.join(done)}): pass --overwrite to start a new run "
            "there (its files are replaced), or choose another --out."
        )


def _run_train(args):
    out_dir = args.out or os.path.join("runs", args.model)
    _check_train_out_dir(out_dir, args.model, args.overwrite)
    common = _given(
        args, epochs="epochs", batch_size="batch_size", steps_per_epoch="steps_per_epoch", seed="seed"
    )
    if args.xla is not None:
        common["jit_compile"] = args.xla
    if args.model == "unet":
        return _run_train_unet(args, out_dir, common)
    image_shape = None
    if args.image_size is not None or args.channels is not None:
        if args.image_size is None or args.channels is None:
            raise ValueError(
                "--image-size and --channels go together (the model's image shape). "
                f"Received: --image-size {args.image_size}, --channels {args.channels}"
            )
        image_shape = (*args.image_size, args.channels)
    kwargs = {
        **common,
        **_given(args, latent_dim="latent_dim", base_filters="base_filters"),
        "image_shape": image_shape,
        "split": args.split,
        "data_dir": args.data_dir,
        "download": args.download,
        "num_samples": args.num_samples,
    }
    from kerasgen.recipes import _outputs

    if args.model == "gan":
        from kerasgen.recipes.gan import MODEL_FILE, train_gan

        _, history = train_gan(
            args.dataset, out_dir, conditional=args.conditional, loss=args.loss, **kwargs
        )
    else:
        from kerasgen.recipes.vae import MODEL_FILE, train_vae

        validation = args.validation_split
        _, history = train_vae(
            args.dataset,
            out_dir,
            beta=args.beta,
            likelihood=args.likelihood,
            validation_split=None if validation.lower() == "none" else validation,
            **kwargs,
        )
    written = (MODEL_FILE, _outputs.SAMPLES_DIR, _outputs.HISTORY_CSV, _outputs.LOSS_CURVES_PNG)
    _print_train_summary(history, out_dir, written)
    return 0


def _run_train_unet(args, out_dir, common):
    from kerasgen.recipes import _outputs
    from kerasgen.recipes.unet import BEST_MODEL, HISTORY_CSV, LAST_MODEL, train_unet

    model_kwargs = _given(
        args, depth="depth", base_filters="base_filters", pixel_unshuffle="pixel_unshuffle", block="block"
    )
    if args.noise_level_input:
        model_kwargs["noise_level_input"] = True
    kwargs = {**common, **_given(args, patch_size="patch_size")}
    kwargs["precision"] = args.precision
    if args.sigma_max is not None:
        kwargs["sigma_range"] = (0.0, args.sigma_max / 255)
    _, history = train_unet(
        args.data,
        out_dir,
        channels=args.channels,
        validation_data=args.validation_data,
        model_kwargs=model_kwargs or None,
        **kwargs,
    )
    csv_path = os.path.join(out_dir, HISTORY_CSV)
    if os.path.exists(csv_path):
        _outputs.save_loss_curves(
            os.path.join(out_dir, _outputs.LOSS_CURVES_PNG), _outputs.read_history_csv(csv_path), title="U-Net"
        )
    _print_train_summary(history, out_dir, (BEST_MODEL, LAST_MODEL, HISTORY_CSV, _outputs.LOSS_CURVES_PNG))
    return 0


def _print_train_summary(history, out_dir, names):
    """Prints the last epoch's metrics and the files (newest PNG of a folder) written."""
    if history.epoch:
        last = ", ".join(f"{key} {values[-1]:.4g}" for key, values in history.history.items())
        print(f"epoch {history.epoch[-1] + 1}: {last}")
    for name in names:
        path = os.path.join(out_dir, name)
        if os.path.isdir(path):
            grids = sorted(f for f in os.listdir(path) if f.endswith(".png"))
            if grids:
                more = f" (and {len(grids) - 1} earlier)" if len(grids) > 1 else ""
                print(f"wrote {os.path.join(path, grids[-1])}{more}")
        elif os.path.exists(path):
            print(f"wrote {path}")


_PARSER_BUILDERS = (_add_restore_parser, _add_compare_parser, _add_export_parser, _add_train_parser)
