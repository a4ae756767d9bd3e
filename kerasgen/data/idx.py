"""Reader for the IDX file format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x00 0x00 <dtype code> <ndim>``, then
``ndim`` big-endian ``uint32`` sizes, then the data in C order, big-endian.
The files are usually shipped gzip-compressed (``train-images-idx3-ubyte.gz``).

No TensorFlow here: this module only needs numpy.
"""

import gzip
import math
import os
import zlib

import numpy as np

# IDX dtype code -> big-endian numpy dtype.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path):
    """Reads an IDX file (gzip-compressed or raw) into a numpy array.

    The compression is detected from the file content, not from its name.

    Args:
        path: Path (str or ``os.PathLike``) of an IDX file such as
            ``t10k-images-idx3-ubyte.gz``.

    Returns:
        A numpy array in native byte order with the shape stored in the file,
        e.g. ``(10000, 28, 28)`` ``uint8`` for the MNIST test images and
        ``(10000,)`` ``uint8`` for its labels.

    Raises:
        TypeError: If `path` is not a str or path-like.
        FileNotFoundError: If `path` does not exist.
        ValueError: If the file is not a valid IDX file: bad magic number,
            unknown dtype code, corrupt gzip stream, or a data size that does
            not match the sizes in its header (truncated file).

    Example:

    >>> images = read_idx("mnist/t10k-images-idx3-ubyte.gz")  # doctest: +SKIP
    >>> images.shape, images.dtype  # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'))
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike. Received: path={path!r}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"IDX file not found. Received: path={path!r}")
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"Corrupt or truncated gzip file {path!r}: {err}") from err
    return _parse_idx(data, path)


def _parse_idx(data, path):
    if len(data) < 4:
        raise ValueError(
            f"Not an IDX file (needs a 4-byte magic number, the file has "
            f"{len(data)} bytes): {path!r}"
        )
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0 or code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            "Not an IDX file: expected a magic number 0x00 0x00 <dtype code "
            f"in {[hex(c) for c in _IDX_DTYPES]}> <ndim >= 1>. Received: "
            f"magic={data[:4].hex(' ')} in {path!r}"
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"Truncated IDX header: {ndim} dimension sizes need "
            f"{header_size} bytes, the file has {len(data)}: {path!r}"
        )
    shape = tuple(
        int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4)
    )
    dtype = _IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    received = len(data) - header_size
    if received != expected:
        kind = "Truncated" if received < expected else "Oversized"
        raise ValueError(
            f"{kind} IDX file: header shape {shape} of {dtype.name} needs "
            f"{expected} data bytes, the file has {received}: {path!r}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)
