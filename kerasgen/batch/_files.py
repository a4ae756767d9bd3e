"""The files of a folder restoration: what to read, where to write, how (private).

No TensorFlow here: the classical path runs :func:`restore_file` in worker
processes, and the Ray pipeline reuses the plan and the writer.
"""

import dataclasses
import os
import re

import numpy as np

from kerasgen._folders import walk_folders
from kerasgen.restoration._checks import check_bool
from kerasgen.restoration.io import read_image, save_image

# What the folder commands read (anything Pillow or tifffile decodes well).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")
# What save_image writes; other inputs are written as PNG.
_KEPT_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
# The temporary files of restoration._atomic.atomic_output: ".<name>.<12 hex>.tmp".
_TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{12}\.tmp$")


@dataclasses.dataclass(frozen=True)
class FileTask:
    """One image to restore.

    Attributes:
        source: Input file path.
        target: Output file path (same relative path under the output
            folder; the extension kept when ``save_image`` writes it, else
            ``.png``).
        relative: The input's path relative to the input folder (for
            messages and summaries).
        bit_depth: 8 or 16, the output's bit depth (16 when the input stores
            16-bit samples and the output format can hold them).

    Example:

    ```python
    for task in plan_folder("scans", "restored"):
        print(task.relative, "->", task.target, task.bit_depth)
    ```
    """

    source: str
    target: str
    relative: str
    bit_depth: int


@dataclasses.dataclass
class FolderSummary:
    """What a folder restoration did.

    Attributes:
        done: Files restored by this run.
        skipped: Files whose output existed already (finished earlier).
        failed: Files that could not be restored (see ``failures``).
        seconds: Wall-clock time of the run.
        failures: List of ``(relative_path, message)``.

    Example:

    >>> print(FolderSummary(done=3, seconds=1.5))
    done 3, skipped 0, failed 0 in 1.5 s (2.00 images/s)
    """

    done: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list = dataclasses.field(default_factory=list)

    @property
    def images_per_second(self):
        """Restored images per second of this run (0 when none)."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def __str__(self):
        text = (
            f"done {self.done}, skipped {self.skipped}, failed {self.failed} "
            f"in {self.seconds:.1f} s"
        )
        if self.done:
            text += f" ({self.images_per_second:.2f} images/s)"
        return text


def check_folders(input_dir, output_dir):
    """Checks the two folders; returns them as absolute str paths.

    Raises:
        TypeError: If a folder is not a path.
        NotADirectoryError: If ``input_dir`` is not a folder or
            ``output_dir`` is a file.
        ValueError: If the two are the same folder (outputs would take the
            inputs' names).
    """
    for name, value in (("input_dir", input_dir), ("output_dir", output_dir)):
        if not isinstance(value, (str, os.PathLike)):
            raise TypeError(
                f"{name} must be a path. Received: {name} of type {type(value).__name__}"
            )
    input_dir = os.path.abspath(os.fspath(input_dir))
    output_dir = os.path.abspath(os.fspath(output_dir))
    if not os.path.isdir(input_dir):
        raise NotADirectoryError(
            f"input_dir must be an existing folder. Received: input_dir={input_dir!r}"
        )
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise NotADirectoryError(
            f"output_dir must be a folder. Received: output_dir={output_dir!r} (a file)"
        )
    if os.path.realpath(input_dir) == os.path.realpath(output_dir):
        raise ValueError(
            "output_dir must differ from input_dir: the restored images take the "
            f"inputs' names. Received: both {input_dir!r}"
        )
    return input_dir, output_dir


def plan_folder(input_dir, output_dir, *, recursive=False):
    """Lists the images of ``input_dir`` and where their results go.

    Hidden files and folders (``.name``) are left out, and so is
    ``output_dir`` when it lies inside ``input_dir``. The order is sorted by
    relative path, so every run (and every engine) sees the same list.

    Args:
        input_dir: The folder to read.
        output_dir: The folder to write (need not exist).
        recursive: Keyword-only. Bool, also read the sub-folders (their
            tree is rebuilt under ``output_dir``; linked sub-folders are
            followed, each real folder read once).

    Returns:
        A list of :class:`FileTask`.

    Raises:
        ValueError: If the folder holds no image file (with a hint when
            its sub-folders do and ``recursive`` is False), two inputs
            would write the same output (e.g.
            ``a.bmp`` and ``a.png``), or an output would be one of the
            inputs (e.g. ``output_dir`` contains ``input_dir`` and
            ``recursive=True``: ``in/sub/x.png`` would go to ``in/x.png``).

    Example:

    ```python
    tasks = plan_folder("scans", "restored", recursive=True)
    [task.relative for task in tasks]  # e.g. ['a.png', 'sub/b.tif']
    ```
    """
    input_dir, output_dir = check_folders(input_dir, output_dir)
    recursive = check_bool("recursive", recursive)
    skip = os.path.realpath(output_dir)
    sources = _image_files(input_dir, skip, recursive)
    if not sources:
        raise ValueError(_no_images_message(input_dir, skip, recursive))
    inputs = {_file_id(source): os.path.relpath(source, input_dir) for source in sources}
    tasks, seen = [], {}
    for source in sorted(sources, key=lambda p: os.path.relpath(p, input_dir)):
        relative = os.path.relpath(source, input_dir)
        stem, extension = os.path.splitext(relative)
        if extension.lower() not in _KEPT_EXTENSIONS:
            extension = ".png"
        target = os.path.join(output_dir, stem + extension)
        if target in seen:
            raise ValueError(
                f"{seen[target]!r} and {relative!r} would both be written to "
                f"{os.path.relpath(target, output_dir)!r}. Rename one of them."
            )
        seen[target] = relative
        overwritten = inputs.get(_file_id(target))
        if overwritten is not None:
            raise ValueError(
                f"The result of {relative!r} would overwrite the input {overwritten!r}. "
                "Choose an output folder that does not contain the input folder "
                f"(or link to its files). Received: input_dir={input_dir!r}, "
                f"output_dir={output_dir!r}"
            )
        tasks.append(
            FileTask(source, target, relative, _output_bit_depth(source, target))
        )
    return tasks


def _image_files(input_dir, skip, recursive):
    """The image files of ``input_dir`` (and of its sub-folders if ``recursive``).

    Hidden files and folders and the folder ``skip`` (a real path: the
    output folder) are left out; linked sub-folders are followed, each real
    folder read once.
    """
    sources = []
    for folder, files in walk_folders(input_dir, skip=skip):
        for name in files:
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS):
                sources.append(os.path.join(folder, name))
        if not recursive:
            break
    return sources


def _no_images_message(input_dir, skip, recursive):
    """Why a folder gives nothing to restore, with a hint when its sub-folders hold images."""
    expected = ", ".join(IMAGE_EXTENSIONS)
    if recursive:
        return (
            f"No image file ({expected}) in input_dir or its sub-folders (hidden files and "
            f"folders are left out). Received: input_dir={input_dir!r}"
        )
    below = len(_image_files(input_dir, skip, recursive=True))
    hint = (
        f" Its sub-folders hold {below} image(s): pass recursive=True (kerasgen restore: --recursive)."
        if below
        else ""
    )
    return f"No image file ({expected}) in input_dir.{hint} Received: input_dir={input_dir!r}"


def split_finished(tasks, *, overwrite=False):
    """Splits tasks into ``(to_do, finished)``; removes stale temporary files.

    An existing output is finished: outputs are written to a temporary file
    and renamed, so a file under its final name is always complete. A run
    killed while writing leaves only a hidden ``.<name>.<hex>.tmp`` file,
    removed here.

    Args:
        tasks: List of :class:`FileTask`.
        overwrite: Keyword-only. Bool, redo existing outputs.

    Returns:
        Two lists of :class:`FileTask`.
    """
    overwrite = check_bool("overwrite", overwrite)
    remove_stale_temporaries(tasks)
    if overwrite:
        return list(tasks), []
    to_do, finished = [], []
    for task in tasks:
        (finished if os.path.exists(task.target) else to_do).append(task)
    return to_do, finished


def remove_stale_temporaries(tasks):
    """Deletes the temporary files that a killed writer left for these outputs."""
    by_folder = {}
    for task in tasks:
        folder, name = os.path.split(task.target)
        by_folder.setdefault(folder, set()).add(name)
    for folder, names in by_folder.items():
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            match = _TEMP_PATTERN.match(entry)
            if match and match.group("name") in names:
                try:
                    os.unlink(os.path.join(folder, entry))
                except OSError:
                    pass


def write_result(task, restored, *, quality=95):
    """Clips ``restored`` to [0, 1] and writes it to ``task.target`` atomically."""
    os.makedirs(os.path.dirname(task.target), exist_ok=True)
    restored = np.clip(np.asarray(restored, np.float32), 0.0, 1.0)
    save_image(task.target, restored, bit_depth=task.bit_depth, quality=quality)


def restore_file(task, method, options, quality=95):
    """Restores one file with a classical method (run in worker processes).

    Args:
        task: A :class:`FileTask`.
        method: A classical ``repair_image`` method name.
        options: Dict of ``repair_image`` keyword arguments.
        quality: JPEG quality.

    Returns:
        ``(relative, error)``: ``error`` is None on success, else a one-line
        message (exceptions never escape, so one bad file stops nothing).
    """
    from kerasgen.restoration.repair import repair_image

    try:
        image = read_image(task.source)
        write_result(task, repair_image(image, method, **options), quality=quality)
    except Exception as error:  # noqa: BLE001 - reported per file, the run goes on
        return task.relative, one_line(error)
    return task.relative, None


def one_line(error):
    """``"TypeName: first line of the message"``."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _file_id(path):
    """What identifies the file (also through links): inode, else the real path."""
    try:
        status = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return status.st_dev, status.st_ino


def _output_bit_depth(source, target):
    """16 when the source stores 16-bit samples and the target format holds them."""
    extension = os.path.splitext(target)[1].lower()
    if extension not in (".png", ".tif", ".tiff"):
        return 8
    depth, channels = _source_samples(source)
    if depth != 16:
        return 8
    # save_image writes 16-bit colour as TIFF only (Pillow: 16-bit grey PNG only);
    # read_image reads 16-bit colour PNGs at 8-bit precision anyway.
    if extension == ".png" and channels != 1:
        return 8
    return 16


def _source_samples(path):
    """``(bits per sample, channels)`` from the file header (8, 0 when unknown)."""
    if path.lower().endswith((".tif", ".tiff")):
        try:
            import tifffile

            with tifffile.TiffFile(path) as tiff:
                page = tiff.pages[0]
                samples = int(getattr(page, "samplesperpixel", 1))
                return int(page.bitspersample), samples
        except Exception:  # noqa: BLE001 - unknown: treat as 8-bit
            return 8, 0
    try:
        from PIL import Image

        with Image.open(path) as image:
            if image.mode in ("I;16", "I;16B", "I;16L", "I"):
                return 16, 1
            tiles = getattr(image, "tile", None) or ()
            if any(str(tile.args).endswith(";16B") for tile in tiles):
                return 16, len(image.getbands())
            return 8, len(image.getbands())
    except Exception:  # noqa: BLE001 - unreadable: read_image reports it later
        return 8, 0
