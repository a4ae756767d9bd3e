"""Scanning a folder of images: which files, labelled or not, size, channels.

The images themselves are read by ``keras.utils.image_dataset_from_directory``
(see `kerasgen.data.load_dataset`); this module only looks at the files, with
Pillow reading image headers, so it does not import TensorFlow.
"""

import dataclasses
import os

from PIL import Image

# Same allow-list as keras.utils.image_dataset_from_directory.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})


@dataclasses.dataclass(frozen=True)
class ImageFolderInfo:
    """What `scan_image_folder` found.

    Attributes:
        files: Image paths in the order Keras reads them (sorted).
        class_names: Sorted sub-folder names when the images are in
            sub-folders (one class per sub-folder), else None.
    """

    files: tuple
    class_names: tuple | None


def scan_image_folder(directory):
    """Lists the images of a folder the way Keras' directory loader does.

    When `directory` has sub-folders, each is a class and the images are the
    files under the sub-folders (recursively); files directly in `directory`
    are then ignored (hidden sub-folders are not classes). Without sub-folders
    the images are the files in `directory`.

    Args:
        directory: Path of an existing folder.

    Returns:
        An `ImageFolderInfo`.

    Raises:
        FileNotFoundError: If `directory` is not an existing folder.
        ValueError: If no image file (``.png``, ``.jpg``, ``.jpeg``, ``.bmp``,
            ``.gif``) is found.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Image folder not found. Received: directory={directory!r}"
        )
    class_names = sorted(
        entry.name
        for entry in os.scandir(directory)
        if entry.is_dir() and not entry.name.startswith(".")
    )
    roots = [os.path.join(directory, c) for c in class_names] or [directory]
    files = []
    for root in roots:
        for dirpath, _, filenames in sorted(os.walk(root), key=lambda w: w[0]):
            files.extend(
                os.path.join(dirpath, f)
                for f in sorted(filenames)
                if f.lower().endswith(IMAGE_EXTENSIONS)
            )
    if not files:
        where = "its sub-folders" if class_names else "it"
        raise ValueError(
            f"No image files ({', '.join(IMAGE_EXTENSIONS)}) found in {where}. "
            f"Received: directory={directory!r}"
        )
    return ImageFolderInfo(files=tuple(files), class_names=tuple(class_names) or None)


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
        ValueError: If `files` is empty, an image cannot be read, or
            `require_same_size` is True and the images do not all have the
            same size (then pass ``image_size`` to resize them).
    """
    if not files:
        raise ValueError("files must be a non-empty list of image paths. Received: []")
    sizes = {}
    all_gray = True
    for path in files:
        try:
            with Image.open(path) as image:
                width, height = image.size
                mode = image.mode
        except (OSError, ValueError) as err:
            raise ValueError(f"Cannot read image {path!r}: {err}") from err
        sizes.setdefault((height, width), path)
        all_gray = all_gray and mode in _GRAY_MODES
        if require_same_size and len(sizes) > 1:
            (size_a, path_a), (size_b, path_b) = list(sizes.items())[:2]
            raise ValueError(
                "The images do not all have the same size, so image_size "
                "cannot be inferred: pass image_size=(height, width) to resize "
                f"them. Received: {path_a!r} of size {size_a} and {path_b!r} "
                f"of size {size_b}"
            )
    return next(iter(sizes)), 1 if all_gray else 3
