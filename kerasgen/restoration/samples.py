"""Test images by name: scikit-image's bundled samples, or any image file."""

import os
import re

from kerasgen.restoration.io import read_image

SAMPLE_IMAGES = (
    "camera", "astronaut", "brick", "chelsea", "clock", "coffee", "coins",
    "grass", "gravel", "moon", "page", "rocket", "text",
)  # fmt: skip
"""Names of the scikit-image sample images ``load_sample`` accepts (no download)."""


def load_sample(name_or_path):
    """Loads a scikit-image sample image by name, or an image file.

    An existing file wins over a sample of the same name.

    Args:
        name_or_path: one of ``SAMPLE_IMAGES`` (e.g. "camera") or the path of
            an image file.

    Returns:
        ``(name, image)``: a short name usable in file names (the sample name,
        or the file's stem with unusual characters replaced by "_") and the
        float32 image in [0, 1].

    Raises:
        FileNotFoundError: neither an existing file nor a sample name.

    Example:

    >>> name, image = load_sample("camera")
    >>> name, image.shape, image.dtype
    ('camera', (512, 512), dtype('float32'))
    """
    value = os.fspath(name_or_path)
    if os.path.exists(value) or value not in SAMPLE_IMAGES:
        if not os.path.exists(value):
            raise FileNotFoundError(
                f"{value!r} is neither an image file nor a sample name ({', '.join(SAMPLE_IMAGES)})."
            )
        stem = os.path.splitext(os.path.basename(os.path.normpath(value)))[0]
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem) or "image", read_image(value)
    from skimage import data, img_as_float32

    return value, img_as_float32(getattr(data, value)())
