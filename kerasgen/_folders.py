"""Walking a folder tree: linked sub-folders followed, each real folder once (private).

Shared by the training-folder scanner (`kerasgen.data.image_folder`) and
folder restoration (`kerasgen.batch`). No TensorFlow.
"""

import os


def walk_folders(directory, *, skip=None):
    """Yields ``(folder, file_names)`` for ``directory`` and its sub-folders.

    Like ``os.walk``, top-down, but linked sub-folders are followed (plain
    ``os.walk`` skips them) and each real folder is visited once, so a link
    back up the tree does not loop. Hidden sub-folders (names starting with
    ".") and the folder whose real path is ``skip`` are left out.
    Sub-folders and file names come in sorted order.

    Args:
        directory: The folder to walk.
        skip: Optional real path (``os.path.realpath``) of a folder to leave
            out, e.g. an output folder inside the input folder.

    Yields:
        Pairs ``(folder, file_names)``: a folder path (under ``directory``)
        and the sorted names of the files directly in it.
    """
    visited = set()
    for folder, subfolders, files in os.walk(directory, followlinks=True):
        real = os.path.realpath(folder)
        if real in visited:
            subfolders[:] = []
            continue
        visited.add(real)
        subfolders[:] = sorted(
            d
            for d in subfolders
            if not d.startswith(".") and os.path.realpath(os.path.join(folder, d)) != skip
        )
        yield folder, sorted(files)
