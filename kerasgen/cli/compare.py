"""`kerasgen compare`: restoration methods side by side on a degraded image."""

import os
import sys

from kerasgen.cli import _args
from kerasgen.restoration.samples import SAMPLE_IMAGES

EPILOG = """\
Degrades a clean image, restores it with each method (given the true
degradation), prints PSNR / SSIM / seconds and writes the figure (clean |
degraded | results) and the table as compare_<image>_<experiment>.png and
.csv into --out. The experiment is one of:

  denoising (default): Gaussian noise, --sigma (default 25); methods
    bm3d, nl_means, tv, wavelet, bilateral; unet on request;
    files compare_<image>_sigma<sigma>.*
  deblurring, --psf-std S: Gaussian blur of standard deviation S pixels
    (boundary "reflect", as a photo) plus noise --sigma (default 2.55);
    methods bm3d_deblur, richardson_lucy, wiener, pnp;
    files compare_<image>_blur<S>_sigma<sigma>.*
  inpainting, --missing F: a fraction F of the pixels missing at random;
    methods biharmonic, pnp; files compare_<image>_missing<percent>.*
  upscaling, --scale N: the image shrunk N times (restoration.downsample);
    methods bilinear, bicubic, pnp; files compare_<image>_x<N>.*

pnp (plug-and-play with the shipped U-Net denoiser as the prior) imports
TensorFlow; --methods chooses the methods of the experiment.

--image takes a scikit-image sample (no download): {samples};
or the path of an image file.

examples:
  kerasgen compare
  kerasgen compare --image coffee --sigma 15 --methods bm3d,nl_means
  kerasgen compare --image photo.png --out results
  kerasgen compare --psf-std 1.6
  kerasgen compare --missing 0.5 --methods biharmonic,pnp
  kerasgen compare --image astronaut --scale 4"""

# Noise added when --sigma is not given, per experiment (8-bit grey levels).
DEFAULT_SIGMA = {"denoise": 25.0, "deblur": 2.55, "inpaint": 0.0, "upscale": 0.0}


def add_parser(subparsers):
    """Declares `kerasgen compare` and its options."""
    parser = _args.add_command_parser(
        subparsers,
        "compare",
        help="compare restoration methods on a degraded image (table + figure)",
        description="Compare restoration methods (denoising, deblurring, inpainting, upscaling) on a degraded image.",
        epilog=EPILOG.format(samples=", ".join(SAMPLE_IMAGES)),
    )
    parser.add_argument(
        "--image", default="camera", metavar="NAME|PATH",
        help="scikit-image sample name or image file (default: camera)",
    )  # fmt: skip
    parser.add_argument(
        "--sigma", type=_args.grey_levels, default=None,
        help="noise standard deviation in 8-bit grey levels (0-255; default: 25 for denoising, "
        "2.55 for deblurring, 0 for inpainting and upscaling)",
    )  # fmt: skip
    experiment = parser.add_mutually_exclusive_group()
    experiment.add_argument(
        "--psf-std", type=_args.positive_float, default=None,
        help="deblurring experiment: Gaussian blur of this standard deviation in pixels",
    )  # fmt: skip
    experiment.add_argument(
        "--missing", type=_args.fraction, default=None, metavar="FRACTION",
        help="inpainting experiment: fraction of the pixels missing at random (e.g. 0.5)",
    )  # fmt: skip
    experiment.add_argument(
        "--scale", type=_args.positive_int, default=None,
        help="upscaling experiment: factor >= 2 (the image is shrunk this many times)",
    )  # fmt: skip
    parser.add_argument(
        "--methods", type=_args.method_list, default=None, metavar="M1,M2,...",
        help="comma-separated methods of the experiment (default: its classical methods, plus pnp "
        "for deblurring, inpainting and upscaling; bm3d is skipped when not installed); "
        "unet is accepted for denoising",
    )  # fmt: skip
    parser.add_argument("--seed", type=_args.non_negative_int, default=0, help="noise and mask seed (default: 0)")
    parser.add_argument("--out", default=".", metavar="DIR", help="output folder, created if needed (default: .)")
    _args.add_common_options(parser, overwrite_help="replace the figure and table if they exist")
    parser.set_defaults(run=run)
    return parser


def experiment_of(args):
    """The experiment the options ask for: "denoise", "deblur", "inpaint" or "upscale"."""
    if args.psf_std is not None:
        return "deblur"
    if args.missing is not None:
        return "inpaint"
    if args.scale is not None:
        return "upscale"
    return "denoise"


# Experiment -> the `repair_image` argument carrying its degradation.
_DEGRADATION_ARGUMENT = {"deblur": "psf", "inpaint": "mask", "upscale": "scale"}


def allowed_methods(experiment="denoise"):
    """The `repair_image` methods `--methods` accepts for an experiment.

    Denoising: the classical denoisers and "unet". Otherwise every method
    taking the experiment's degradation (`psf`, `mask` or `scale`), the
    learned "pnp" included.
    """
    from kerasgen.restoration.repair import (
        DENOISE_REPAIR_METHODS,
        method_arguments,
        repair_methods,
    )

    if experiment == "denoise":
        return DENOISE_REPAIR_METHODS + ("unet",)
    argument = _DEGRADATION_ARGUMENT[experiment]
    return tuple(method for method in repair_methods() if argument in method_arguments(method))


def run(args):
    """Runs `kerasgen compare`; returns the exit status."""
    from kerasgen.restoration._atomic import check_new_output, new_folders
    from kerasgen.restoration._bm3d_compat import INSTALL_HINT
    from kerasgen.restoration.comparison import (
        compare,
        default_methods,
        format_table,
        save_figure,
        save_table,
    )
    from kerasgen.restoration.samples import load_sample

    experiment = experiment_of(args)
    sigma_levels = DEFAULT_SIGMA[experiment] if args.sigma is None else args.sigma
    if experiment == "denoise" and sigma_levels == 0:
        raise ValueError("--sigma must be > 0: there is nothing to compare without noise.")
    if experiment == "upscale" and args.scale < 2:
        raise ValueError(f"--scale must be >= 2. Received: --scale {args.scale}")
    allowed = allowed_methods(experiment)
    if args.methods is None:
        methods = _default_methods(experiment, default_methods)
        if experiment in ("denoise", "deblur") and not any(m.startswith("bm3d") for m in methods):
            print(f"note: bm3d is not installed, skipping it ({INSTALL_HINT})", file=sys.stderr)
    else:
        methods = args.methods
        for method in methods:
            if method not in allowed:
                raise ValueError(
                    f"unknown method {method!r} for --methods ({_TITLES[experiment]}). "
                    f"Expected some of: {', '.join(allowed)}"
                )
    try:
        name, clean = load_sample(args.image)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"--image {error}") from None
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise NotADirectoryError(f"--out must be a folder. Received: {args.out!r} (a file)")
    with new_folders(args.out):  # removed again, if still empty, when this run fails
        stem = os.path.join(args.out, f"compare_{name}_{_suffix(args, experiment, sigma_levels)}")
        for suffix in (".png", ".csv"):
            check_new_output(stem + suffix, overwrite=args.overwrite, inputs=(args.image,))
        clean, degraded, options, label = _degrade(clean, args, experiment, sigma_levels)
        label = f"{name}, {label}"
        rows, figure = compare(clean, degraded, methods, title=label, **options)
        print(format_table(rows, title=label))
        for path in (save_figure(stem + ".png", figure), save_table(stem + ".csv", rows)):
            print(f"wrote {path}")
    return 0


_TITLES = {"denoise": "denoising", "deblur": "deblurring", "inpaint": "inpainting", "upscale": "upscaling"}


def _default_methods(experiment, default_methods):
    if experiment == "denoise":
        return default_methods(warn=False)
    marker = {"deblur": {"psf": True}, "inpaint": {"mask": True}, "upscale": {"scale": 2}}[experiment]
    return default_methods(warn=False, **marker) + ("pnp",)


def _number(value, *, percent=False):
    """``value`` (a fraction as a percentage with ``percent``) as "{:g}" writes it, unless that loses digits.

    "{:g}" keeps 6 significant digits, so --sigma 25 and 25.000001 would share
    their files and title; a value it does not give back exactly is written in
    full.
    """
    shown = value * 100 if percent else value
    short = f"{shown:g}"
    back = float(short) / 100 if percent else float(short)
    return short if back == value else repr(float(shown))


def _suffix(args, experiment, sigma_levels):
    if experiment == "denoise":
        return f"sigma{_number(sigma_levels)}"
    noise = f"_sigma{_number(sigma_levels)}" if sigma_levels or experiment == "deblur" else ""
    if experiment == "deblur":
        return f"blur{_number(args.psf_std)}{noise}"
    if experiment == "inpaint":
        return f"missing{_number(args.missing, percent=True)}{noise}"
    return f"x{args.scale}{noise}"


def _degrade(clean, args, experiment, sigma_levels):
    """(clean, degraded, compare() options, label) of the experiment."""
    import numpy as np

    from kerasgen.restoration.degradations import (
        add_gaussian_noise,
        blur,
        downsample,
        gaussian_psf,
        random_mask,
    )

    sigma = sigma_levels / 255
    noise = f"noise sigma {_number(sigma_levels)}/255, seed {args.seed}"
    if experiment == "denoise":
        return clean, add_gaussian_noise(clean, sigma, seed=args.seed), {"sigma": sigma}, noise
    if experiment == "deblur":
        psf = gaussian_psf(_args.psf_size(args.psf_std, image_shape=clean.shape), args.psf_std)
        blurred = blur(clean, psf, mode="reflect")
        degraded = add_gaussian_noise(blurred, sigma, seed=args.seed) if sigma else blurred
        # Every method models the blur's "reflect" boundary (restoration.deblur's default is "wrap").
        method_kwargs = {method: {"mode": "reflect"} for method in allowed_methods("deblur")}
        options = {"sigma": sigma, "psf": psf, "method_kwargs": method_kwargs}
        return clean, degraded, options, f"Gaussian blur std {_number(args.psf_std)} px, {noise}"
    if experiment == "inpaint":
        mask = random_mask(clean.shape, args.missing, seed=args.seed)
        degraded = np.where(mask if clean.ndim == 2 else mask[..., np.newaxis], 0.0, clean).astype(clean.dtype)
        if sigma:
            degraded = add_gaussian_noise(degraded, sigma, seed=args.seed)
        options = {"mask": mask, "sigma": sigma if sigma else None}
        label = f"{_number(args.missing, percent=True)}% of the pixels missing" + (f", {noise}" if sigma else "")
        return clean, degraded, options, label
    if args.scale > min(clean.shape[:2]):
        raise ValueError(
            f"--scale must not be larger than the image ({clean.shape[0]} x {clean.shape[1]} pixels), which "
            f"is shrunk --scale times. Received: --scale {args.scale}"
        )
    height, width = (clean.shape[0] // args.scale) * args.scale, (clean.shape[1] // args.scale) * args.scale
    clean = clean[:height, :width]  # a multiple of the scale
    small = downsample(clean, args.scale)
    if sigma:
        small = add_gaussian_noise(small, sigma, seed=args.seed)
    options = {"scale": args.scale, "sigma": sigma if sigma else None}
    return clean, small, options, f"shrunk x{args.scale} (restoration.downsample)" + (f", {noise}" if sigma else "")
