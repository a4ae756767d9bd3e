"""What the benchmark scripts share: argparse types and one-line errors.

The argparse types are those of the `kerasgen` commands
(`kerasgen.cli._args`, which imports no TensorFlow) plus the lists the
scripts take; `run` reports a user's error (a bad value, a missing file, a
missing optional package) in one line with exit status 2, as the `kerasgen`
command does, instead of a traceback.
"""

import argparse
import os
import sys

from kerasgen.cli._args import (  # noqa: F401  (re-exported for the scripts)
    grey_levels,
    method_list,
    non_negative_int,
    positive_float,
    positive_int,
)

USER_ERRORS = (ValueError, OSError, ImportError)


def run(main, argv=None):
    """``main(argv)``, with a user's error printed in one line (exit status 2)."""
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "benchmark"
    try:
        return main(argv)
    except USER_ERRORS as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def comma_list(item_type, what):
    """argparse type: a non-empty comma-separated list, each item converted by ``item_type``."""

    def parse(text):
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"expected comma-separated {what}. Received: {text!r}")
        return [item_type(item) for item in items]

    return parse


def positive_grey_levels(text):
    """argparse type: a noise level in 8-bit grey levels, > 0 and <= 255."""
    value = grey_levels(text)
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"expected a noise level in 8-bit grey levels above 0 (e.g. 25). Received: {text!r}"
        )
    return value


# Names in skimage.data.__all__ that are not image loaders.
_NOT_IMAGES = ("data_dir", "download_all", "file_hash", "lbp_frontal_face_cascade_filename")


def skimage_image(name):
    """argparse type: the name of a ``skimage.data`` image (camera, astronaut, ...)."""
    from skimage import data

    known = [n for n in data.__all__ if n not in _NOT_IMAGES]
    if name not in known:
        raise argparse.ArgumentTypeError(f"expected skimage.data image names ({', '.join(known)}). Received: {name!r}")
    return name


def existing_dir(text):
    """argparse type: a folder that exists."""
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"expected an existing folder. Received: {text!r}")
    return text
