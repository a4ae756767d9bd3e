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
