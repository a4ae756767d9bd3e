"""The `kerasgen` command line.

Each command is a pair of functions: `_add_<name>_parser(subparsers)` declares
its arguments (and sets `run=_run_<name>`), `_run_<name>(args)` does the work
and returns the exit code. To add a command, write the pair and append the
`_add_..._parser` function to `_PARSER_BUILDERS`. Heavy imports (TensorFlow,
scikit-image...) go inside `_run_<name>`, so that `kerasgen --help` stays fast
and commands that do not need TensorFlow never import it.

User mistakes (missing file, bad value...) print `kerasgen <command>: error:
...` on stderr and exit with status 2, without a traceback.
"""

import argparse
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
Run `kerasgen COMMAND --help` for the options of a command."""

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
        return args.run(args)
    except _USER_ERRORS as error:
        print(f"kerasgen {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"kerasgen {args.command}: interrupted", file=sys.stderr)
        return 130


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
  learned:     unet (pretrained U-Net denoiser; imports TensorFlow); --tile,
               --overlap

The output is clipped to [0, 1] and written atomically; its format follows the
extension (.png, .jpg, .tif).

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
    parser.set_defaults(run=_run_restore)


def _run_restore(args):
    import numpy as np

    from kerasgen.restoration.degradations import gaussian_psf
    from kerasgen.restoration.denoising import estimate_noise_sigma
    from kerasgen.restoration.io import check_save_path, read_image, save_image
    from kerasgen.restoration.repair import method_task, repair_image

    task = method_task(args.method)
    _check_restore_options(args, task)
    check_save_path(args.output, bit_depth=args.bit_depth)
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
        "learned": {"tile", "overlap"},
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
    name, clean = _load_compare_image(args.image)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise NotADirectoryError(f"--out must be a folder. Received: {args.out!r} (a file)")
    os.makedirs(args.out, exist_ok=True)
    sigma = args.sigma / 255
    noisy = add_gaussian_noise(clean, sigma, seed=args.seed)
    label = f"{name}, noise sigma {args.sigma:g}/255, seed {args.seed}"
    rows, figure = compare(clean, noisy, methods, sigma=sigma, title=label)
    print(format_table(rows, title=label))
    stem = os.path.join(args.out, f"compare_{name}_sigma{args.sigma:g}")
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


_PARSER_BUILDERS = (_add_restore_parser, _add_compare_parser)
