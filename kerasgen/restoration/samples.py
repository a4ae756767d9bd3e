"""Test images by name: scikit-image's bundled samples, or any image file."""

import hashlib
import os
import unicodedata

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
        or the file's stem, see ``file_name_of``) and the float32 image in
        [0, 1].

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
        return file_name_of(stem), read_image(value)
    from skimage import data, img_as_float32

    return value, img_as_float32(getattr(data, value)())


# Longest name (UTF-8 bytes) `file_name_of` returns: "compare_" + name + an
# experiment suffix + ".png" stays well under the usual 255-byte file name limit.
_MAX_NAME_BYTES = 100


def file_name_of(stem):
    """A short, stable name for file names, made from a file's stem.

    Letters and digits of any script (after NFC normalisation, with their
    combining marks), "_", "." and "-" are kept; each run of other characters
    (spaces, punctuation, symbols) becomes "_", so "my image" gives
    "my_image". A stem left without any letter or digit by that (e.g. an
    emoji name), or longer than 100 UTF-8 bytes (then cut), gets 8 hex digits
    of the stem's SHA-1 appended, so that different such stems keep
    different names.

    Args:
        stem: the file name without its extension, a str.

    Returns:
        The name, a non-empty str.

    Example:

    >>> file_name_of("my image"), file_name_of("ïmage"), file_name_of("图像")
    ('my_image', 'ïmage', '图像')
    """
    stem = unicodedata.normalize("NFC", stem)
    pieces, replaced, in_run = [], False, False
    for char in stem:
        kept = char in "_.-" or unicodedata.category(char)[0] in "LNM"
        if not kept and not in_run:
            pieces.append("_")  # one "_" per run of other characters
        elif kept:
            pieces.append(char)
        replaced |= not kept
        in_run = not kept
    name = "".join(pieces)
    has_word = any(unicodedata.category(char)[0] in "LN" for char in name)
    encoded = name.encode("utf-8")
    if has_word and len(encoded) <= _MAX_NAME_BYTES:
        return name
    if not has_word and not replaced:
        return name or "image"  # "", "_", "---": nothing was lost
    digest = hashlib.sha1(stem.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    if not has_word:
        return f"image_{digest}"
    cut = encoded[: _MAX_NAME_BYTES - 9].decode("utf-8", "ignore")
    return f"{cut}_{digest}"
