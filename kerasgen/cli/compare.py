"""`kerasgen compare`: restoration methods side by side on a noisy image."""

import os
import sys

from kerasgen.cli import _args
from kerasgen.restoration.samples import SAMPLE_IMAGES

EPILOG = """\
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


def add_parser(subparsers):
    """Declares `kerasgen compare` and its options."""
    parser = _args.add_command_parser(
        subparsers,
        "compare",
        help="compare denoising methods on a noisy image (table + figure)",
        description="Compare restoration methods on a clean image with added noise.",
        epilog=EPILOG.format(samples=", ".join(SAMPLE_IMAGES)),
    )
    parser.add_argument(
        "--image", default="camera", metavar="NAME|PATH",
        help="scikit-image sample name or image file (default: camera)",
    )  # fmt: skip
    parser.add_argument(
        "--sigma", type=_args.grey_levels, default=25.0,
        help="noise standard deviation in 8-bit grey levels (0-255; default: 25)",
    )  # fmt: skip
    parser.add_argument(
        "--methods", type=_args.method_list, default=None, metavar="M1,M2,...",
        help="comma-separated denoising methods (default: bm3d,nl_means,tv,wavelet,bilateral; "
        "bm3d is skipped when not installed); unet is accepted too",
    )  # fmt: skip
    parser.add_argument("--seed", type=_args.non_negative_int, default=0, help="noise seed (default: 0)")
    parser.add_argument("--out", default=".", metavar="DIR", help="output folder, created if needed (default: .)")
    _args.add_common_options(parser, overwrite_help="replace the figure and table if they exist")
    parser.set_defaults(run=run)
    return parser


def allowed_methods():
    """The `repair_image` methods `--methods` accepts: denoisers (classical and learned)."""
    from kerasgen.restoration.repair import DENOISE_REPAIR_METHODS

    return DENOISE_REPAIR_METHODS + ("unet",)


def run(args):
    """Runs `kerasgen compare`; returns the exit status."""
    from kerasgen.restoration._atomic import check_new_output
    from kerasgen.restoration._bm3d_compat import INSTALL_HINT
    from kerasgen.restoration.comparison import (
        compare,
        default_methods,
        format_table,
        save_figure,
        save_table,
    )
    from kerasgen.restoration.degradations import add_gaussian_noise
    from kerasgen.restoration.samples import load_sample

    if args.sigma == 0:
        raise ValueError("--sigma must be > 0: there is nothing to compare without noise.")
    allowed = allowed_methods()
    if args.methods is None:
        methods = default_methods(warn=False)
        if "bm3d" not in methods:
            print(f"note: bm3d is not installed, skipping it ({INSTALL_HINT})", file=sys.stderr)
    else:
        methods = args.methods
        for method in methods:
            if method not in allowed:
                raise ValueError(f"unknown method {method!r} for --methods. Expected some of: {', '.join(allowed)}")
    try:
        name, clean = load_sample(args.image)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"--image {error}") from None
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
