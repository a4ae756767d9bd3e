"""argparse types and options shared by the `kerasgen` commands.

Each type converts one command-line string and raises
`argparse.ArgumentTypeError` (reported by argparse as a usage error, exit
status 2) for a bad value.
"""

import argparse
import math


def _float_or_nan(text):
    try:
        return float(text)
    except ValueError:
        return math.nan


def grey_levels(text):
    """argparse type: a noise standard deviation in 8-bit grey levels."""
    value = _float_or_nan(text)
    if not (math.isfinite(value) and 0 <= value <= 255):
        raise argparse.ArgumentTypeError(
            f"expected a noise standard deviation in 8-bit grey levels, between 0 and 255 (e.g. 25). "
            f"Received: {text!r}"
        )
    return value


def positive_float(text):
    """argparse type: a finite number > 0."""
    value = _float_or_nan(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0. Received: {text!r}")
    return value


def non_negative_float(text):
    """argparse type: a finite number >= 0."""
    value = _float_or_nan(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a number >= 0. Received: {text!r}")
    return value


def fraction(text):
    """argparse type: a number strictly between 0 and 1."""
    value = _float_or_nan(text)
    if not (math.isfinite(value) and 0 < value < 1):
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1 (e.g. 0.5). Received: {text!r}")
    return value


def positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1. Received: {text!r}")
    return value


def non_negative_int(text):
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0. Received: {text!r}")
    return value


def method_list(text):
    """argparse type: comma-separated method names."""
    methods = tuple(name.strip() for name in text.split(",") if name.strip())
    if not methods:
        raise argparse.ArgumentTypeError(f"expected comma-separated method names. Received: {text!r}")
    return methods


def add_common_options(parser, *, overwrite_help=None):
    """Adds --verbose (and --overwrite when the command writes files)."""
    parser.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS,
        help="show TensorFlow's own log messages (hidden by default)",
    )  # fmt: skip
    if overwrite_help:
        parser.add_argument("--overwrite", action="store_true", help=overwrite_help)


def add_command_parser(subparsers, name, *, help, description, epilog):
    """Adds the sub-parser of a command, with the help layout every command uses."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def given(args, **names):
    """Keyword arguments for the options that were given (library defaults otherwise).

    Args:
        args: the parsed `argparse.Namespace`.
        **names: keyword -> attribute of `args`.

    Returns:
        A dict of the keywords whose option is not None.
    """
    return {key: getattr(args, option) for key, option in names.items() if getattr(args, option) is not None}


def psf_size(psf_std, psf_size=None, image_shape=None):
    """The side of the Gaussian blur kernel of --psf-std / --psf-size, checked before it is built.

    Args:
        psf_std: the --psf-std value (> 0).
        psf_size: the --psf-size value, or None for ``2 * ceil(3 * psf_std) + 1``.
        image_shape: the image's shape, or None when the images are not known
            yet (folders): then the bound is the largest square that an image
            within the readers' pixel limit holds.

    Returns:
        The kernel side, an odd int.

    Raises:
        ValueError: an even --psf-size, or a kernel larger than the image.
    """
    from kerasgen.restoration._checks import resolve_max_pixels

    if psf_size is not None and psf_size % 2 == 0:
        raise ValueError(
            f"--psf-size must be odd so that the blur kernel has a centre pixel. Received: --psf-size {psf_size}"
        )
    if image_shape is not None:
        limit, where = min(image_shape[:2]), f"the image ({image_shape[0]} x {image_shape[1]} pixels)"
    else:
        pixels = resolve_max_pixels()
        if pixels is None:
            limit = math.inf
        else:
            limit = math.isqrt(pixels)
            where = f"any image within the readers' limit of {pixels} pixels (PIL.Image.MAX_IMAGE_PIXELS)"
    size = psf_size
    if size is None:
        size = 2 * math.ceil(3 * psf_std) + 1 if 3 * psf_std < limit else math.inf
    if size > limit:
        received = f"--psf-std {psf_std:g}" + ("" if psf_size is None else f", --psf-size {psf_size}")
        shown = f"{size} x {size} pixels" if size < math.inf else f"about {6 * psf_std:.3g} pixels wide"
        raise ValueError(
            f"The blur kernel ({shown}; --psf-size, default 2 * ceil(3 * psf-std) + 1) must not be larger "
            f"than {where}. Received: {received}"
        )
    return size
