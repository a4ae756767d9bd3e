"""Reading and writing images as float arrays in [0, 1]."""

import contextlib
import io
import os
import re
import threading
import warnings

import numpy as np

from kerasgen.restoration._atomic import atomic_output, check_output_path
from kerasgen.restoration._checks import (
    check_choice,
    check_float,
    check_int,
    check_pixel_count,
    resolve_max_pixels,
)
from kerasgen.restoration._tiff import read_tiff as _read_tiff
from kerasgen.restoration._tiff import warn_16bit_tiff as _warn_16bit_tiff
from kerasgen.restoration._validation import check_image

ALPHA_MODES = ("composite", "drop")

# Extension -> (Pillow format, supported bit depths).
_SAVE_FORMATS = {
    ".png": ("PNG", (8, 16)),
    ".jpg": ("JPEG", (8,)),
    ".jpeg": ("JPEG", (8,)),
    ".tif": ("TIFF", (8, 16)),
    ".tiff": ("TIFF", (8, 16)),
}
_TIFF_EXTENSIONS = (".tif", ".tiff")
# JPEG quality from which colour is kept at full resolution (4:4:4).
_FULL_COLOUR_QUALITY = 90
# Values this far outside [0, 1] are rounding noise, not an error.
_RANGE_TOLERANCE = 1e-5


def read_image(path, *, alpha="composite", max_pixels=None):
    """Reads an image file as a float32 array in [0, 1].

    8- and 16-bit PNG, TIFF and JPEG files are supported, as well as anything
    else Pillow reads (BMP, GIF, WebP...; the first frame of animations).
    Palette images are expanded to RGB, 1-bit images to gray, CMYK / YCbCr to
    RGB, and the EXIF / TIFF orientation is applied (a rotated phone photo
    comes in upright), JPEG, PNG, WebP and TIFF alike. 16-bit TIFFs (gray or
    colour) and 16-bit gray PNGs keep their full precision; 16-bit *colour*
    PNGs are read at 8-bit precision (a Pillow limitation; a warning says
    so), as are 16-bit colour TIFFs compressed with LZW or JPEG unless the
    ``imagecodecs`` package is installed (a warning says so too).

    Args:
        path: str or path-like file path.
        alpha: what to do with an alpha (transparency) channel. ``"composite"``
            (default) blends the image over a white background, so
            transparent pixels become white; ``"drop"`` discards the alpha
            channel and keeps the stored colour values (divided by the alpha
            for a TIFF with premultiplied, "associated", alpha).
        max_pixels: largest number of pixels (height x width) accepted, an
            int; None (default) uses Pillow's limit
            ``PIL.Image.MAX_IMAGE_PIXELS`` (about 89.5 million). Checked from
            the header of every format, TIFF included, before decoding, so
            that a small file declaring a huge image cannot exhaust memory.
            Raise it (or ``PIL.Image.MAX_IMAGE_PIXELS``) for trusted huge
            images.

    Returns:
        float32 array in [0, 1] of shape (H, W) for gray (including gray +
        alpha) images or (H, W, 3) for colour (including RGBA) images.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        IsADirectoryError: if ``path`` is a directory.
        ValueError: if the file is not a readable image, declares more than
            ``max_pixels`` pixels, or ``alpha`` is invalid.

    Example:

    >>> image = read_image("photo.png")  # doctest: +SKIP
    >>> image.dtype, image.min() >= 0, image.max() <= 1  # doctest: +SKIP
    (dtype('float32'), True, True)
    """
    check_choice("alpha", alpha, ALPHA_MODES)
    max_pixels = resolve_max_pixels(max_pixels)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such image file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"Expected an image file, received a directory: {path!r}")
    array = None
    if os.path.splitext(path)[1].lower() in _TIFF_EXTENSIONS:
        array = _read_tiff(path, max_pixels)
    if array is None:
        array = _read_with_pillow(path, max_pixels)
    try:
        return _to_float_image(array, alpha)
    except ValueError as error:
        raise ValueError(f"Cannot read image {path!r}: {error}") from None


# Pillow's limit is a global: reads in several threads with different
# max_pixels would otherwise restore each other's values out of order and
# leave a wrong limit set for good.
_PILLOW_LIMIT_LOCK = threading.Lock()


@contextlib.contextmanager
def _pillow_pixel_limit(max_pixels):
    """Sets Pillow's own limit to ``max_pixels`` during a read (restored after).

    One read at a time holds the limit (a lock), so concurrent reads never
    see or restore another read's limit.
    """
    from PIL import Image

    with _PILLOW_LIMIT_LOCK:
        previous = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = previous


def _read_with_pillow(path, max_pixels):
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with _pillow_pixel_limit(max_pixels), warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below
            with Image.open(path) as image:
                width, height = image.size
                check_pixel_count(height, width, path, max_pixels)  # before decoding
                raw_mode = _raw_mode(image)
                if image.format == "PNG" and raw_mode.endswith(";16B") and image.mode in ("RGB", "RGBA"):
                    _warn_16bit_png(path, raw_mode, "transparency" in image.info)
                if image.format == "TIFF":
                    _warn_16bit_tiff(path, image)
                image = ImageOps.exif_transpose(image)
                image.load()
                return _pillow_to_array(image, raw_mode)
    except UnidentifiedImageError:
        raise ValueError(f"Cannot read image {path!r}: not a recognised image file.") from None
    except Image.DecompressionBombError as error:
        # Pillow refuses more than twice its limit by itself, naming twice the limit.
        declared = re.search(r"\((\d+) pixels\)", str(error))
        raise ValueError(
            f"Cannot read image {path!r}: it declares {declared[1] if declared else 'more'} pixels, "
            f"more than the limit of {max_pixels} (protection against decompression bombs). "
            "If the file is trusted, pass a larger max_pixels= to read_image, or raise the limit "
            "for every reader with PIL.Image.MAX_IMAGE_PIXELS = N (None turns it off). "
            f"Received: max_pixels={max_pixels!r}"
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ValueError) and str(error).startswith("Cannot read image"):
            raise
        raise ValueError(f"Cannot read image {path!r}: corrupt or unsupported file ({error}).") from None


def _raw_mode(image):
    """How an opened, not yet loaded, Pillow image stores its samples (e.g. "LA;16B"), or ""."""
    tiles = getattr(image, "tile", None) or ()
    raw_mode = tiles[0].args if tiles else None
    return raw_mode if isinstance(raw_mode, str) else ""


def _warn_16bit_png(path, raw_mode, colour_key):
    kind = "grey + alpha" if raw_mode.startswith("LA") else "colour"
    key = " and matches its transparent colour (tRNS) on 8-bit values" if colour_key else ""
    warnings.warn(
        f"{path!r} is a 16-bit {kind} PNG; Pillow reads it at 8-bit precision{key}. "
        "Save it as a 16-bit TIFF to keep full precision.",
        stacklevel=4,
    )


def _pillow_to_array(image, raw_mode=""):
    mode = image.mode
    colour_key = image.info.get("transparency") if mode in ("1", "L", "I;16", "RGB") else None
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif mode == "1":
        image = image.convert("L")
    elif mode == "La":
        image = image.convert("LA")
    elif mode == "RGBa":
        image = image.convert("RGBA")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        image = image.convert("RGB")
    array = np.asarray(image)
    if image.mode == "I":
        if array.size and (array.min() < 0 or array.max() > 65535):
            raise ValueError(f"32-bit integer image with values outside [0, 65535] (mode {image.mode!r}).")
        array = array.astype(np.uint16)
    if raw_mode == "LA;16B":  # Pillow opens 16-bit grey + alpha PNGs as RGBA
        array = array[..., [0, 3]]
    if isinstance(colour_key, (int, tuple)):
        array = _add_colour_key_alpha(array, colour_key, raw_mode)
    return array


def _add_colour_key_alpha(array, colour_key, raw_mode):
    """Appends an alpha channel, 0 where a pixel has the PNG ``tRNS`` colour ``colour_key``."""
    colour_key = np.asarray(colour_key, dtype=np.int64)
    if raw_mode in ("L;2", "L;4"):  # the key is a raw sample, the pixels are scaled to 0-255
        colour_key = colour_key * 255 // (2 ** int(raw_mode[-1]) - 1)
    elif raw_mode == "RGB;16B":  # Pillow keeps the high byte of 16-bit samples
        colour_key = colour_key >> 8
    pixels = array.reshape(*array.shape[:2], -1)
    transparent = (pixels == colour_key).all(axis=-1, keepdims=True)
    alpha = np.where(transparent, 0, np.iinfo(array.dtype).max).astype(array.dtype)
    return np.concatenate([pixels, alpha], axis=-1)


def _to_float_image(array, alpha):
    """Converts a decoded uint8 / uint16 / bool / float array to float32 in [0, 1]."""
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    if array.dtype == np.uint8:
        image = array.astype(np.float32) / np.float32(255)
    elif array.dtype == np.uint16:
        image = array.astype(np.float32) / np.float32(65535)
    elif array.dtype == np.bool_:
        image = array.astype(np.float32)
    elif np.issubdtype(array.dtype, np.floating):
        image = array.astype(np.float32)
        if not np.isfinite(image).all() or image.min() < 0 or image.max() > 1:
            raise ValueError("floating-point image with values outside [0, 1] or not finite.")
    else:
        raise ValueError(f"unsupported pixel type {array.dtype}.")
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[-1] not in (2, 3, 4):
        raise ValueError(f"unsupported image shape {array.shape}.")
    if image.shape[-1] == 3:
        return np.ascontiguousarray(image)
    color, opacity = image[..., :-1], image[..., -1:]
    if alpha == "composite":
        color = color * opacity + (np.float32(1) - opacity)
    if color.shape[-1] == 1:
        color = color[..., 0]
    return np.ascontiguousarray(color, dtype=np.float32)


def read_mask(path, shape=None, *, threshold=0.5):
    """Reads a missing-pixel mask from an image file (white = missing).

    Args:
        path: str or path-like file path of a grey or colour image (colour
            masks are averaged over their channels; alpha is dropped).
        shape: the expected size of the mask, (H, W) or an image shape
            (H, W, C) whose first two entries are used, e.g. ``image.shape``
            of the image to inpaint; or None for any size.
        threshold: pixels brighter than this are missing, a float in [0, 1)
            (1 would mark none).

    Returns:
        bool array (H, W), True = missing pixel, as ``inpaint`` expects.

    Raises:
        TypeError: if ``threshold`` is not a real number.
        ValueError: the mask does not have the expected shape, ``shape`` is
            not (H, W) or (H, W, C), ``threshold`` is not in [0, 1), or the
            file is not a readable image.

    Example:

    >>> mask = read_mask("mask.png", image.shape)  # doctest: +SKIP
    >>> filled = inpaint(image, mask)  # doctest: +SKIP
    """
    threshold = check_float(
        "threshold", threshold, minimum=0, maximum=1, open_maximum=True, expected="a float in [0, 1)"
    )
    if shape is not None:
        try:
            size = tuple(check_int("shape entries", n, minimum=1) for n in shape)
        except TypeError:
            size = ()
        if len(size) not in (2, 3):
            raise ValueError(f"shape must be a tuple (H, W) or (H, W, C). Received: shape={shape!r}")
        shape = size[:2]
    mask = read_image(path, alpha="drop")
    if mask.ndim == 3:
        mask = mask.mean(axis=-1)
    if shape is not None and mask.shape != shape:
        raise ValueError(f"the mask {path!r} must have the image's size {shape}. Received: {mask.shape}")
    return mask > threshold


def check_save_path(path, *, bit_depth=8):
    """Checks, without writing anything, that ``save_image`` can write ``path``.

    Useful before a long computation whose result will be saved.

    Args:
        path: str, bytes or path-like output path.
        bit_depth: 8 or 16, as for ``save_image``.

    Returns:
        The path as a str.

    Raises:
        ValueError: unsupported extension or bit depth for that format.
        FileNotFoundError: if the output folder does not exist.
        IsADirectoryError: if ``path`` is a directory (checked first).
        PermissionError: if the output folder is not writable.
    """
    path = os.fsdecode(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot write to {path!r}: it is a directory.")
    extension = os.path.splitext(path)[1].lower()
    if extension not in _SAVE_FORMATS:
        raise ValueError(
            f"Cannot tell the image format from the extension of {path!r}. "
            f"Expected one of: {', '.join(_SAVE_FORMATS)}. Received: {extension or 'no extension'!r}"
        )
    file_format, depths = _SAVE_FORMATS[extension]
    bit_depth = check_int("bit_depth", bit_depth)
    if bit_depth not in depths:
        raise ValueError(
            f"bit_depth must be one of {depths} for {file_format} files. Received: bit_depth={bit_depth}"
        )
    return check_output_path(path)


def save_image(path, image, *, bit_depth=8, quality=95, channel_axis=None):
    """Writes a float image in [0, 1] to a PNG, JPEG or TIFF file, atomically.

    The format follows the extension (``.png``, ``.jpg`` / ``.jpeg``, ``.tif`` /
    ``.tiff``). Values are scaled to the bit depth and rounded, so an image
    whose values are multiples of 1/255 round-trips exactly through an
    8-bit PNG and ``read_image``. The file is written to a temporary file in
    the same folder and renamed into place: a failure never leaves a partial
    file. Nothing is written when the input is rejected.

    Args:
        path: str, bytes or path-like output path; its folder must exist. An
            existing file is replaced and keeps its permissions.
        image: float array in [0, 1] of shape (H, W), (H, W, 1) or (H, W, 3).
            Out-of-range values (e.g. from denoising) must be clipped first,
            e.g. ``np.clip(image, 0, 1)``.
        bit_depth: 8 or 16 (16 for PNG and TIFF only). Keyword-only.
        quality: JPEG quality, 1-100 (above 95 mostly grows the file). From
            90 up, colour is stored at full resolution (4:4:4, as GIMP and
            Photoshop do); below, at half resolution (4:2:0, Pillow's
            default), which softens colour edges. Keyword-only.
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        The path written, as a str.

    Raises:
        ValueError: bad extension, bit depth, quality, shape, dtype, NaN/inf
            or values outside [0, 1].
        FileNotFoundError: if the output folder does not exist.
        IsADirectoryError: if ``path`` is a directory.
        PermissionError: if the output folder is not writable.

    Example:

    >>> save_image("out.png", np.clip(restored, 0, 1))  # doctest: +SKIP
    'out.png'
    """
    path = check_save_path(path, bit_depth=bit_depth)
    file_format = _SAVE_FORMATS[os.path.splitext(path)[1].lower()][0]
    quality = check_int("quality", quality, minimum=1)
    if quality > 100:
        raise ValueError(f"quality must be between 1 and 100. Received: quality={quality}")
    array, _ = check_image(image, channel_axis=channel_axis)
    low, high = float(array.min()), float(array.max())
    if low < -_RANGE_TOLERANCE or high > 1 + _RANGE_TOLERANCE:
        raise ValueError(
            "image values must be in [0, 1] to be saved; clip them first with "
            f"np.clip(image, 0, 1). Received: min={low:g}, max={high:g}"
        )
    data = _encode(array, file_format, bit_depth, quality)
    with atomic_output(path) as file:
        file.write(data)
    return path


def _encode(array, file_format, bit_depth, quality):
    """Encodes a canonical float image to the bytes of an image file."""
    scale = 255 if bit_depth == 8 else 65535
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    pixels = np.round(np.clip(array, 0, 1) * scale).astype(dtype)
    if file_format == "TIFF" and bit_depth == 16:
        import tifffile

        buffer = io.BytesIO()
        tifffile.imwrite(buffer, pixels, photometric="rgb" if pixels.ndim == 3 else "minisblack")
        return buffer.getvalue()
    if bit_depth == 16 and pixels.ndim == 3:
        raise ValueError(
            "16-bit colour images can only be saved as TIFF (Pillow writes "
            "16-bit PNG for gray images only). Use a .tif path or bit_depth=8."
        )
    from PIL import Image

    buffer = io.BytesIO()
    options = {}
    if file_format == "JPEG":
        # Pillow halves the colour resolution (4:2:0) at every quality: at 100 a
        # colour photo came back at 40 dB instead of 51 dB with full resolution.
        options = {"quality": quality, "subsampling": 0 if quality >= _FULL_COLOUR_QUALITY else 2}
    Image.fromarray(pixels).save(buffer, format=file_format, **options)
    return buffer.getvalue()
