"""TIFF pages read with tifffile (16-bit colour, orientation, premultiplied alpha) (private).

`read_tiff` is `kerasgen.restoration.read_image`'s first try for a TIFF;
files it cannot decode go to Pillow, and `warn_16bit_tiff` says when that
loses bits.
"""

import warnings

import numpy as np

from kerasgen.restoration._checks import check_pixel_count

ORIENTATION_TAG = 274  # the TIFF / EXIF Orientation tag


def read_tiff(path, max_pixels):
    """Reads the first page of a gray / RGB TIFF with tifffile (keeps 16-bit colour).

    8- and 16-bit min-is-white gray pages are inverted (Pillow leaves 16-bit
    ones as they are stored, a negative). Returns None (so that Pillow reads
    the file) for other photometric interpretations (palette, CMYK, YCbCr,
    other min-is-white pages...) or on failure. Refuses, before decoding, a
    page declaring more than ``max_pixels`` pixels.
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
            min_is_white = page.photometric == tifffile.PHOTOMETRIC.MINISWHITE
            if min_is_white:
                dtype = np.dtype(page.dtype)
                if not (dtype in (np.uint8, np.uint16) and page.samplesperpixel == 1
                        and page.bitspersample == 8 * dtype.itemsize):  # fmt: skip
                    return None
            elif page.photometric not in (tifffile.PHOTOMETRIC.MINISBLACK, tifffile.PHOTOMETRIC.RGB):
                return None
            array = page.asarray()
            if min_is_white:
                array = np.iinfo(array.dtype).max - array
            elif array.ndim == 3 and page.axes.startswith("S"):  # planar: samples first
                array = np.moveaxis(array, 0, -1)
            orientation = page.tags.get(ORIENTATION_TAG)
            extra = tuple(page.extrasamples or ())
        except Exception:  # noqa: BLE001 - unreadable by tifffile: let Pillow try
            return None
        if array.ndim == 3 and array.shape[-1] in (2, 4) and extra[-1:] == (tifffile.EXTRASAMPLE.ASSOCALPHA,):
            array = unpremultiply(array)
        return apply_orientation(array, orientation.value if orientation is not None else 1)


def unpremultiply(array):
    """Colour + associated (premultiplied) alpha -> float colour + straight alpha in [0, 1], as composited."""
    scale = np.iinfo(array.dtype).max if np.issubdtype(array.dtype, np.integer) else 1
    values = array.astype(np.float64) / scale
    alpha = values[..., -1:]
    colour = np.divide(values[..., :-1], alpha, out=np.zeros_like(values[..., :-1]), where=alpha > 0)
    return np.concatenate([np.clip(colour, 0, 1), alpha], axis=-1).astype(np.float32)


def apply_orientation(array, orientation):
    """Turns an (H, W[, C]) array stored with TIFF / EXIF ``orientation`` upright, as ``ImageOps.exif_transpose``."""
    swapped = np.swapaxes(array, 0, 1)
    upright = {
        2: lambda: array[:, ::-1],
        3: lambda: array[::-1, ::-1],
        4: lambda: array[::-1],
        5: lambda: swapped,
        6: lambda: swapped[:, ::-1],
        7: lambda: swapped[::-1, ::-1],
        8: lambda: swapped[::-1],
    }.get(orientation)
    return array if upright is None else np.ascontiguousarray(upright())


def warn_16bit_tiff(path, image):
    """Warns when Pillow reads a TIFF of more than 8 bits per sample at 8 bits.

    Such a TIFF only reaches Pillow when tifffile cannot decode it (e.g. LZW or
    JPEG compression without the ``imagecodecs`` package).
    """
    bits = image.tag_v2.get(258, (8,))  # BitsPerSample
    bits = bits if isinstance(bits, tuple) else (bits,)
    if max(bits, default=8) > 8 and image.mode not in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        compression = image.info.get("compression", "unknown")
        warnings.warn(
            f"{path!r} is a {max(bits)}-bit TIFF that tifffile could not decode (compression "
            f"{compression!r}; `pip install imagecodecs` adds most codecs); Pillow reads it at 8-bit precision.",
            stacklevel=4,
        )
