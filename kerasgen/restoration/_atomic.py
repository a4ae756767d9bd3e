"""Atomic file output: write to a temporary file beside the target, then rename."""

import contextlib
import os
import secrets


def check_output_path(path):
    """Checks that `path` can be written: its folder exists and it is not a folder.

    Args:
        path: str or path-like output path.

    Returns:
        The path as a str.

    Raises:
        FileNotFoundError: if the parent folder does not exist.
        IsADirectoryError: if `path` is an existing folder.
    """
    path = os.fspath(path)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot write to {path!r}: it is a directory.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write to {path!r}: the folder {folder!r} does not exist.")
    return path


@contextlib.contextmanager
def atomic_output(path):
    """Opens a binary temporary file that replaces `path` on success.

    The temporary file lives in the same folder (so `os.replace` is atomic)
    and is removed if the block raises: `path` is either left untouched or
    fully written, never half-written. The file gets the usual permissions
    (0o666 minus the umask).

    Args:
        path: str or path-like output path.

    Yields:
        A writable binary file object.

    Raises:
        FileNotFoundError: if the parent folder does not exist.
        IsADirectoryError: if `path` is an existing folder.

    Example:

    >>> with atomic_output("table.csv") as f:  # doctest: +SKIP
    ...     f.write(b"method,psnr\\n")
    """
    path = check_output_path(path)
    folder, base = os.path.split(os.path.abspath(path))
    temp = os.path.join(folder, f".{base}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
