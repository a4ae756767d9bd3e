"""Atomic file output: write to a temporary file beside the target, then rename."""

import contextlib
import os
import secrets
import shutil


def check_output_path(path):
    """Checks that ``path`` can be written: its folder exists, is writable, and it is not a folder.

    Run before a long computation, so that an unwritable destination is
    reported at once, naming the user's path (not a temporary file).

    Args:
        path: str or path-like output path.

    Returns:
        The path as a str.

    Raises:
        ValueError: if ``path`` is empty, ends with a separator, or its file
            name is longer than the file system allows.
        FileNotFoundError: if the parent folder does not exist.
        IsADirectoryError: if ``path`` is an existing folder.
        PermissionError: if the parent folder is not writable.
    """
    path = os.fspath(path)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot write to {path!r}: it is a directory.")
    if not os.path.basename(path):  # "" or "name/": no file name to write
        raise ValueError(f"Expected the path of a file to write, ending in a file name. Received: path={path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write to {path!r}: the folder {folder!r} does not exist.")
    check_writable_folder(folder, what=path)
    length, limit = len(os.fsencode(os.path.basename(path))), _name_max(folder)
    if length > limit:  # found now, not by the rename after the computation
        raise ValueError(
            f"Expected a file name of at most {limit} bytes (the limit of the file system). "
            f"Received: path={path!r:.300} (a name of {length} bytes)"
        )
    return path


def check_writable_folder(folder, *, what=None):
    """Raises ``PermissionError`` unless files can be created in ``folder``.

    Args:
        folder: an existing folder.
        what: the user's path named in the message (default: ``folder``).

    Raises:
        PermissionError: naming ``what``, if ``folder`` is not writable.
    """
    folder = os.fspath(folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(
            f"Cannot write to {os.fspath(what or folder)!r}: the folder {folder!r} is not writable."
        )


def check_new_output(path, *, overwrite=False, inputs=()):
    """Checks an output path of the command line before any computation.

    Args:
        path: the output file.
        overwrite: whether an existing ``path`` may be replaced.
        inputs: input files that ``path`` must never be (overwriting one would
            lose it), whatever ``overwrite`` says.

    Returns:
        ``path`` as a str (see ``check_output_path``).

    Raises:
        ValueError: if ``path`` is one of ``inputs``.
        FileExistsError: if ``path`` exists and ``overwrite`` is False.
        FileNotFoundError, IsADirectoryError, PermissionError: as
            ``check_output_path``.
    """
    path = check_output_path(path)
    for source in inputs:
        if source is not None and _same_file(path, os.fspath(source)):
            raise ValueError(
                f"The output is the input file {os.fspath(source)!r}: writing it would "
                f"destroy the input. Choose another output path. Received: output={path!r}"
            )
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(f"{path!r} exists already: pass --overwrite to replace it, or choose another path.")
    return path


def _same_file(a, b):
    if os.path.exists(a) and os.path.exists(b):
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


@contextlib.contextmanager
def atomic_path(path, *, name_format=".{base}.{token}.{kind}"):
    """Yields a temporary path beside ``path``, renamed onto ``path`` on success.

    The one atomic writer of kerasgen, for files and folders alike: the block
    writes a file or a folder at the temporary path (in the same folder, so
    the rename is atomic); on success it replaces ``path`` (an existing folder
    is first moved aside, then removed; an existing file's permissions are
    copied onto the new file), on failure the temporary file or folder is
    removed and an existing ``path`` is left (or put back) as it was.

    Args:
        path: str or path-like destination; its folder must exist.
        name_format: name of the temporary entries, formatted with ``base``
            (the name of ``path``, shortened if needed so that the temporary
            names fit the file system's limit on name length), ``token``
            (12 random hex digits) and ``kind`` ("tmp" for the one being
            written, "old" for a folder moved aside).

    Yields:
        The temporary path, a str.

    Example:

    >>> with atomic_path("model.keras", name_format=".{base}.{token}.partial.keras") as temp:  # doctest: +SKIP
    ...     model.save(temp)
    """
    path = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(path))
    token = secrets.token_hex(6)
    temp, old = (os.path.join(folder, name) for name in _temporary_names(folder, base, name_format, token))
    moved_aside = False
    try:
        yield temp
        if os.path.isdir(path) and not os.path.islink(path):
            os.replace(path, old)  # os.replace cannot overwrite a non-empty folder
            moved_aside = True
        elif os.path.isfile(path) and os.path.isfile(temp):
            shutil.copymode(path, temp)  # a replaced file keeps its permissions
        os.replace(temp, path)
    except BaseException:
        if os.path.isdir(temp) and not os.path.islink(temp):
            shutil.rmtree(temp, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        if moved_aside and not os.path.lexists(path):
            os.replace(old, path)  # put the previous version back
        raise
    if moved_aside:
        shutil.rmtree(old, ignore_errors=True)


def _temporary_names(folder, base, name_format, token):
    """The "tmp" and "old" names of ``atomic_path``, ``base`` cut to fit the folder's NAME_MAX."""
    limit = _name_max(folder)
    while True:
        names = [name_format.format(base=base, token=token, kind=kind) for kind in ("tmp", "old")]
        if len(base) <= 1 or max(len(os.fsencode(name)) for name in names) <= limit:
            return names
        base = base[:-1]


def _name_max(folder):
    """The longest file name, in bytes, that ``folder``'s file system accepts (255 if unknown)."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows) or no answer
        limit = -1
    return limit if limit > 0 else 255


@contextlib.contextmanager
def atomic_output(path):
    r"""Opens a binary temporary file that replaces ``path`` on success.

    The temporary file lives in the same folder (so ``os.replace`` is atomic)
    and is removed if the block raises: ``path`` is either left untouched or
    fully written, never half-written. A new file gets the usual permissions
    (0o666 minus the umask); a replaced file keeps its own (the temporary
    file is readable by its owner only until then).

    Args:
        path: str or path-like output path.

    Yields:
        A writable binary file object.

    Raises:
        FileNotFoundError: if the parent folder does not exist.
        IsADirectoryError: if ``path`` is an existing folder.
        PermissionError: naming ``path``, if the folder is not writable.

    Example:

    >>> with atomic_output("table.csv") as f:  # doctest: +SKIP
    ...     f.write(b"method,psnr\n")
    """
    path = check_output_path(path)
    mode = 0o600 if os.path.isfile(path) else 0o666  # atomic_path copies the old mode at the end
    with atomic_path(path) as temp:
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        except PermissionError as error:
            raise PermissionError(f"Cannot write to {path!r}: {error.strerror}.") from None
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())


@contextlib.contextmanager
def new_folders(folder):
    """Creates ``folder`` (and missing parents) for the ``with`` body.

    If the body raises, the folders this call created are removed again,
    deepest first, as far as they are still empty; folders that existed
    before are never touched.
    """
    created = []
    current = os.path.abspath(folder)
    while not os.path.exists(current):
        created.append(current)  # deepest first
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    os.makedirs(folder, exist_ok=True)
    try:
        yield
    except BaseException:
        for path in created:
            with contextlib.suppress(OSError):
                os.rmdir(path)  # only if still empty
        raise
