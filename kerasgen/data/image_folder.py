"""Scanning a folder of images: which files, labelled or not, size, channels.

The images themselves are decoded with ``tf.io.decode_image`` (see
`kerasgen.data.load_dataset`); this module only looks at the files, with
Pillow reading image headers, so it does not import TensorFlow.
"""

import dataclasses
import os
import warnings

from PIL import Image

from kerasgen._checks import check_pixel_count
from kerasgen._folders import walk_folders

# The formats tf.io.decode_image reads (as keras.utils.image_dataset_from_directory).
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_TIFF_EXTENSIONS = (".tif", ".tiff")
_GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})


@dataclasses.dataclass(frozen=True)
class ImageFolderInfo:
    """What `scan_image_folder` found.

    Attributes:
        files: Every image path under the folder, recursively (top level
            and sub-folders), sorted.
        class_names: Sorted names of the (non-hidden) sub-folders holding
            images, one class per sub-folder, or None when there is none.
        labels: For each file, the index in `class_names` of the sub-folder
            it is under, or -1 for a file directly in the folder; None when
            `class_names` is None.
    """

    files: tuple
    class_names: tuple | None
    labels: tuple | None = None

    @property
    def top_level_files(self):
        """The files directly in the folder (not in a class sub-folder)."""
        if self.labels is None:
            return self.files
        return tuple(f for f, label in zip(self.files, self.labels) if label < 0)


def scan_image_folder(directory):
    """Lists the images of a folder, recursively.

    Every image file under `directory` counts: the files directly in it and
    those in its sub-folders, at any depth (hidden folders, whose names
    start with ".", are skipped; linked sub-folders are followed, each real
    folder read once). When the images are in sub-folders, each
    top-level sub-folder is a class (labels 0, 1, ... in sorted order of the
    names); files directly in `directory` then have no class (label -1).

    Args:
        directory: Path of an existing folder.

    Returns:
        An `ImageFolderInfo`.

    Raises:
        FileNotFoundError: If `directory` is not an existing folder.
        ValueError: If no image file (``.png``, ``.jpg``, ``.jpeg``, ``.bmp``,
            ``.gif``) is found (the message says so when there are TIFF files,
            which are not supported here: convert them to PNG), or a file's
            header declares more pixels than ``PIL.Image.MAX_IMAGE_PIXELS``
            (a decompression bomb; raise that limit for trusted huge images).

    Warns:
        UserWarning: When TIFF files are skipped beside the images found.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        state = " (a file, not a folder)" if os.path.exists(directory) else ""
        raise FileNotFoundError(
            f"Image folder not found. Received: directory={directory!r}{state}"
        )
    files, tiffs = [], 0
    for dirpath, filenames in walk_folders(directory):
        for name in filenames:
            lower = name.lower()
            if lower.endswith(IMAGE_EXTENSIONS):
                files.append(os.path.join(dirpath, name))
            elif lower.endswith(_TIFF_EXTENSIONS):
                tiffs += 1
    if not files:
        hint = (
            f" The folder holds {tiffs} TIFF file(s), which are not supported "
            "for training data: convert them to PNG (e.g. with "
            "kerasgen.restoration.read_image and save_image)."
            if tiffs
            else ""
        )
        raise ValueError(
            f"No image files ({', '.join(IMAGE_EXTENSIONS)}) found in the folder "
            f"or its sub-folders.{hint} Received: directory={directory!r}"
        )
    if tiffs:
        warnings.warn(
            f"{tiffs} TIFF file(s) under {directory!r} are skipped: training folders read "
            f"{', '.join(IMAGE_EXTENSIONS)} only (convert them to PNG, e.g. with "
            "kerasgen.restoration.read_image and save_image).",
            stacklevel=2,
        )
    files.sort()
    for path in files:  # decompression bombs are refused before any decoding
        _check_header_pixels(path)
    relative = [os.path.relpath(f, directory).split(os.sep) for f in files]
    class_names = sorted({parts[0] for parts in relative if len(parts) > 1})
    if not class_names:
        return ImageFolderInfo(files=tuple(files), class_names=None)
    index = {name: i for i, name in enumerate(class_names)}
    labels = tuple(index[parts[0]] if len(parts) > 1 else -1 for parts in relative)
    return ImageFolderInfo(files=tuple(files), class_names=tuple(class_names), labels=labels)


def _check_header_pixels(path):
    """Refuses a file whose header declares more than PIL.Image.MAX_IMAGE_PIXELS."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except Image.DecompressionBombError as err:
        raise ValueError(f"Cannot read image {path!r}: {err}") from err
    except (OSError, ValueError):
        return  # unreadable headers are reported by the decoder
    check_pixel_count(height, width, path)


# Pillow modes with an alpha channel; other modes may have a tRNS colour key ("transparency").
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})


def has_transparency(path):
    """Whether an image file has transparent pixels, from its header (Pillow).

    True for an alpha channel (RGBA, grey + alpha) and for a transparent
    colour (palette or ``tRNS`` colour key of PNG, transparent colour of
    GIF): :func:`kerasgen.restoration.read_image` composites those over
    white, while ``tf.io.decode_image`` would drop the transparency.

    Args:
        path: Path of an image file.

    Returns:
        A bool; False for a file Pillow cannot open (its decoder reports it).
    """
    return transparency_kind(path) is not None


def transparency_kind(path):
    """How an image file is transparent, from its header (see `has_transparency`).

    Args:
        path: Path of an image file.

    Returns:
        None for an opaque file (or one Pillow cannot open); ``"LA"`` or
        ``"RGBA"`` for an 8-bit grey + alpha or RGBA PNG (TensorFlow decodes
        those exactly as Pillow does, so the training loaders composite
        them in the graph); ``"other"`` for any other transparency (palette,
        colour key, 16 bits, GIF...).
    """
    try:
        with Image.open(path) as image:
            return _transparency_kind(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _transparency_kind(image):
    """`transparency_kind` of an opened (not decoded) Pillow image."""
    if image.mode not in _ALPHA_MODES and "transparency" not in image.info:
        return None
    tiles = getattr(image, "tile", None) or ()
    raw_mode = tiles[0].args if tiles else None
    if (
        image.format == "PNG"
        and image.mode in ("LA", "RGBA")
        and raw_mode == image.mode  # 8 bits ("RGBA;16B" for 16)
        and "transparency" not in image.info
    ):
        return image.mode
    return "other"


def infer_image_properties(files, *, require_same_size=True):
    """Infers a common image size and channel count by reading image headers.

    Args:
        files: Image paths (non-empty).
        require_same_size: Whether images of different sizes are an error.
            When False, the size returned is the first image's.

    Returns:
        A pair ``((height, width), channels)``; `channels` is 1 when every
        image is grayscale, else 3.

    Raises:
        ValueError: If `files` is empty, an image cannot be read or declares
            more pixels than ``PIL.Image.MAX_IMAGE_PIXELS`` (a decompression
            bomb; raise that limit for trusted huge images), or
            `require_same_size` is True and the images do not all have the
            same size (then pass ``image_size`` to resize them).
    """
    size, channels, _ = header_properties(files, require_same_size=require_same_size)
    return size, channels


def header_properties(files, *, require_same_size=True):
    """`infer_image_properties`, and the `transparency_kind` of every file.

    One pass over the headers for both (the training loaders need both).

    Returns:
        ``((height, width), channels, kinds)``, ``kinds`` a list with the
        `transparency_kind` of each file.
    """
    if not files:
        raise ValueError("files must be a non-empty list of image paths. Received: []")
    sizes = {}
    all_gray = True
    kinds = []
    for path in files:
        try:
            with Image.open(path) as image:
                width, height = image.size
                mode = image.mode
                kinds.append(_transparency_kind(image))
        except Image.DecompressionBombError as err:
            raise ValueError(f"Cannot read image {path!r}: {err}") from err
        except (OSError, ValueError) as err:
            raise ValueError(f"Cannot read image {path!r}: {err}") from err
        check_pixel_count(height, width, path)
        sizes.setdefault((height, width), path)
        all_gray = all_gray and mode in _GRAY_MODES
        if require_same_size and len(sizes) > 1:
            (size_a, path_a), (size_b, path_b) = list(sizes.items())[:2]
            raise ValueError(
                "The images do not all have the same size, so image_size "
                "cannot be inferred: pass image_size=(height, width) to resize "
                "them (kerasgen train: --image-size HEIGHT WIDTH --channels C). "
                f"Received: {path_a!r} of size {size_a} and {path_b!r} of size {size_b}"
            )
    return next(iter(sizes)), 1 if all_gray else 3, kinds
