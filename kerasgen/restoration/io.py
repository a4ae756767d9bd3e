"""Reading and writing images as float arrays in [0, 1]."""

import contextlib
import io
import os
import warnings

import numpy as np

from kerasgen.restoration._atomic import atomic_output, check_output_path
from kerasgen.restoration._checks import (
    check_choice,
    check_int,
    check_pixel_count,
    resolve_max_pixels,
)
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
# Values this far outside [0, 1] are rounding noise, not an error.
_RANGE_TOLERANCE = 1e-5


def read_image(path, *, alpha="composite", max_pixels=None):
    """Reads an image file as a float32 array in [0, 1].

    8- and 16-bit PNG, TIFF and JPEG files are supported, as well as anything
    else Pillow reads (BMP, GIF, WebP...; the first frame of animations).
    Palette images are expanded to RGB, 1-bit images to gray, CMYK / YCbCr to
    RGB, and JPEG EXIF orientation is applied. 16-bit TIFFs (gray or colour)
    and 16-bit gray PNGs keep their full precision; 16-bit *colour* PNGs are
    read at 8-bit precision (a Pillow limitation; a warning says so).

    Args:
        path: str or path-like file path.
        alpha: what to do with an alpha (transparency) channel. ``"composite"``
            (default) blends the image over a white background, so
            transparent pixels become white; ``"drop"`` discards the alpha
            channel and keeps the stored colour values.
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


def _read_tiff(path, max_pixels):
    """Reads the first page of a gray / RGB TIFF with tifffile (keeps 16-bit colour).

    Returns None (so that Pillow reads the file) for other photometric
    interpretations (palette, CMYK, YCbCr, min-is-white...) or on failure.
    Refuses, before decoding, a page declaring more than ``max_pixels`` pixels.
    """
    import tifffile

    try:
        tiff = tifffile.TiffFile(path)
    except Exception:  # noqa: BLE001 - unreadable by tifffile: let Pillow try
        return None
    with tiff:
        try:
            page = tiff.pages[0]
            height, width = int(page.imagelength), int(page.imagewidth)
        except Exception:  # noqa: BLE001
            return None
        check_pixel_count(height, width, path, max_pixels)
        try:
            if page.photometric not in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.RGB):
                return None
            array = page.asarray()
            if array.ndim == 3 and page.axes.startswith("S"):  # planar: samples first
                array = np.moveaxis(array, 0, -1)
            return array
        except Exception:  # noqa: BLE001 - unreadable by tifffile: let Pillow try
            return None


@contextlib.contextmanager
def _pillow_pixel_limit(max_pixels):
    """Sets Pillow's own limit to ``max_pixels`` during a read (restored after)."""
    from PIL import Image

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
                if image.format == "PNG" and image.mode in ("RGB", "RGBA") and _is_16bit(image):
                    _warn_16bit_colour_png(path)
                image = ImageOps.exif_transpose(image)
                image.load()
                return _pillow_to_array(image)
    except UnidentifiedImageError:
        raise ValueError(f"Cannot read image {path!r}: not a recognised image file.") from None
    except Image.DecompressionBombError as error:
        raise ValueError(
            f"Cannot read image {path!r}: {error} Pass a larger max_pixels= to read it."
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ValueError) and str(error).startswith("Cannot read image"):
            raise
        raise ValueError(f"Cannot read image {path!r}: corrupt or unsupported file ({error}).") from None


def _is_16bit(image):
    """Whether an opened, not yet loaded, Pillow image stores 16-bit samples."""
    return any(str(tile.args).endswith(";16B") for tile in getattr(image, "tile", None) or ())


def _warn_16bit_colour_png(path):
    warnings.warn(
        f"{path!r} is a 16-bit colour PNG; Pillow reads it at 8-bit precision. "
        "Save it as a 16-bit TIFF to keep full precision.",
        stacklevel=4,
    )


def _pillow_to_array(image):
    mode = image.mode
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
    return array


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
        shape: the expected (H, W) of the mask, e.g. ``image.shape[:2]`` of
            the image to inpaint, or None for any size.
        threshold: pixels brighter than this (in [0, 1]) are missing.

    Returns:
        bool array (H, W), True = missing pixel, as ``inpaint`` expects.

    Raises:
        ValueError: the mask does not have the expected shape, or the file
            is not a readable image.

    Example:

    >>> mask = read_mask("mask.png", image.shape[:2])  # doctest: +SKIP
    >>> filled = inpaint(image, mask)  # doctest: +SKIP
    """
    mask = read_image(path, alpha="drop")
    if mask.ndim == 3:
        mask = mask.mean(axis=-1)
    if shape is not None and mask.shape != tuple(shape):
        raise ValueError(f"the mask {path!r} must have the image's size {tuple(shape)}. Received: {mask.shape}")
    return mask > threshold


def check_save_path(path, *, bit_depth=8):
    """Checks, without writing anything, that ``save_image`` can write ``path``.

    Useful before a long computation whose result will be saved.

    Args:
        path: str or path-like output path.
        bit_depth: 8 or 16, as for ``save_image``.

    Returns:
        The path as a str.

    Raises:
        ValueError: unsupported extension or bit depth for that format.
        FileNotFoundError: if the output folder does not exist.
        IsADirectoryError: if ``path`` is a directory.
    """
    path = os.fspath(path)
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
        path: str or path-like output path; its folder must exist.
        image: float array in [0, 1] of shape (H, W), (H, W, 1) or (H, W, 3).
            Out-of-range values (e.g. from denoising) must be clipped first,
            e.g. ``np.clip(image, 0, 1)``.
        bit_depth: 8 or 16 (16 for PNG and TIFF only). Keyword-only.
        quality: JPEG quality, 1-100 (above 95 mostly grows the file). Keyword-only.
        channel_axis: keyword-only; see ``denoise``.

    Returns:
        The path written, as a str.

    Raises:
        ValueError: bad extension, bit depth, quality, shape, dtype, NaN/inf
            or values outside [0, 1].
        FileNotFoundError: if the output folder does not exist.
        IsADirectoryError: if ``path`` is a directory.

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
    options = {"quality": quality} if file_format == "JPEG" else {}
    Image.fromarray(pixels).save(buffer, format=file_format, **options)
    return buffer.getvalue()
