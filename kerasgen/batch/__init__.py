"""Restoring whole folders of images (photo collections, scans).

``restore_folder(input_dir, output_dir, method, ...)`` restores every image of
a folder (and its sub-folders with ``recursive=True``) into another folder,
keeping the tree, formats and bit depths, with a progress bar; it is
resumable after any interruption and reports per-file failures without
stopping. ``plan_folder`` lists the work; :mod:`kerasgen.pipelines.ray` runs
the same job on a Ray cluster.

Importing this package does not import TensorFlow (only ``method="unet"``
does, when it runs).
"""

from kerasgen.batch._files import FileTask, FolderSummary, plan_folder
from kerasgen.batch.folder import restore_folder

__all__ = ["FileTask", "FolderSummary", "plan_folder", "restore_folder"]
