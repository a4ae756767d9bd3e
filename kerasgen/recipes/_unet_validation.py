"""The validation pairs of ``train_unet``, kept apart from its training data."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import os
import warnings

import numpy as np

from kerasgen.data.image_folder import scan_image_folder
from kerasgen.data.restoration_pairs import load_clean_images, make_restoration_dataset

# Validation pairs are noised with this seed whatever the run's seed is
# (what seed=0 and seed=None gave before): runs are compared on the same pairs.
VALIDATION_SEED = 0


def check_validation_apart(data, validation_data):
    """Refuses validation images that are also training images (nested folders).

    The folder readers include sub-folders, so a ``validation_data`` folder
    that is, is inside or holds the ``data`` folder would be trained on too,
    and its PSNR (which chooses ``best.keras``) would be measured on seen
    images. Paths are compared after resolving symbolic links.

    Raises:
        ValueError: If the two folders are nested or the same.
    """
    folders = (data, validation_data)
    if not all(isinstance(f, (str, os.PathLike)) and os.path.isdir(f) for f in folders):
        return
    data_real, validation_real = (os.path.realpath(f) for f in folders)
    if os.path.commonpath([data_real, validation_real]) in (data_real, validation_real):
        raise ValueError(
            "validation_data must not be the data folder, be inside it or hold it: the "
            "folders are read with their sub-folders, so the validation images would also "
            "be training images. Use two separate folders (kerasgen train unet: --data and "
            f"--validation-data). Received: data={os.fspath(data)!r}, "
            f"validation_data={os.fspath(validation_data)!r}"
        )
    # Linked sub-folders are followed: one folder may still link to the other's files.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # skipped TIFFs: said when the folder is read
            data_files, validation_files = (
                {os.path.realpath(f) for f in scan_image_folder(folder).files}
                for folder in folders
            )
    except ValueError:  # no image: reported when the folder is read
        return
    shared = sorted(data_files & validation_files)
    if shared:
        raise ValueError(
            "validation_data must not share images with data: the validation images would "
            f"also be training images ({len(shared)} shared through a symbolic link, e.g. "
            f"{shared[0]!r}). Use two separate folders. Received: data={os.fspath(data)!r}, "
            f"validation_data={os.fspath(validation_data)!r}"
        )


def validation_pairs(
    source,
    *,
    multiple,
    fixed_size,
    degradation,
    sigma,
    batch_size,
    channels,
    with_noise_level,
):
    """Fixed, centre-cropped validation pairs (noised with `VALIDATION_SEED`) as a cached dataset."""
    images = load_clean_images(source, channels=channels)
    side_h = min(a.shape[0] for a in images) // multiple * multiple
    side_w = min(a.shape[1] for a in images) // multiple * multiple
    side = min(side_h, side_w)
    if fixed_size is not None:
        side = fixed_size if side >= fixed_size else 0
        multiple = fixed_size
    if side == 0:
        smallest = min((a.shape[:2] for a in images), key=min)
        raise ValueError(
            f"validation images must be at least {multiple} pixels on each side "
            "(the model's size multiple, or its fixed input size). "
            f"Received: smallest image shape {smallest}"
        )
    crops = []
    for a in images:
        top, left = (a.shape[0] - side) // 2, (a.shape[1] - side) // 2
        crops.append(a[top : top + side, left : left + side])
    return make_restoration_dataset(
        np.stack(crops),
        degradation=degradation,
        sigma_range=(sigma, sigma),
        patch_size=side,
        batch_size=batch_size,
        augment=False,
        repeat=False,
        shuffle=False,
        seed=VALIDATION_SEED,
        channels=channels,
        with_noise_level=with_noise_level,
    ).cache()
