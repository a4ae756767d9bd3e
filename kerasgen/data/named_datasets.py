"""Named datasets (MNIST, Fashion-MNIST, CIFAR-10) as arrays: local files, else tfds.

Local copies in their original format under ``data_dir`` or
``$KERASGEN_DATA_DIR`` come first (offline); then TensorFlow Datasets, which
downloads when online; otherwise one ``FileNotFoundError`` saying which files
to put where, within seconds when offline.
"""

from kerasgen import _backend  # noqa: F401, I001  (backend guard first)

import os

import numpy as np

from kerasgen.data import local_files

DATA_DIR_ENV = "KERASGEN_DATA_DIR"


def load_named_arrays(name, split, spec, *, data_dir, download):
    data_dir = os.fspath(data_dir) if data_dir is not None else None
    root = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV) or None
    local = local_files.available_splits(name, root)
    if spec.name in local:
        images, labels = local_files.load_local_split(name, spec.name, root)
        start, stop = spec.bounds(len(images))
        return images[start:stop], labels[start:stop]
    if not local:
        local_files.refuse_pickled_copy(name, root)
    try:
        # Only an explicit data_dir is tfds' data_dir: $KERASGEN_DATA_DIR may
        # be a read-only shared copy, tfds then uses its own default folder.
        return _load_tfds_arrays(name, split, data_dir, download)
    except Exception as err:  # tfds raises many types; all mean "not loadable"
        raise FileNotFoundError(
            _not_available_message(name, split, spec, root, local, download, err)
        ) from err


def _load_tfds_arrays(name, split, root, download):
    import tensorflow_datasets as tfds  # slow import, only when needed

    builder = tfds.builder(name, data_dir=root)
    if not builder.is_prepared():
        if not download:
            raise FileNotFoundError(f"{name!r} is not prepared under {builder.data_dir!r}")
        # tfds retries a failing download for minutes: fail fast offline.
        host = _unreachable_download_host()
        if host is not None:
            raise ConnectionError(f"no network connection (cannot reach {host} within {_PROBE_SECONDS} s)")
    dataset = tfds.load(
        name,
        split=split,
        as_supervised=True,
        batch_size=-1,
        data_dir=root,
        download=download,
        shuffle_files=False,
    )
    images, labels = tfds.as_numpy(dataset)
    return np.asarray(images, dtype=np.uint8), np.asarray(labels, dtype=np.int32)


_PROBE_SECONDS = 3.0
# Where tfds downloads from (datasets and their metadata), as host:port.
_DOWNLOAD_HOST = ("storage.googleapis.com", 443)


def _unreachable_download_host():
    """Returns the host that cannot be reached within seconds, or None if online.

    Probes TCP port 443 of the download server (or the configured HTTPS
    proxy) in a daemon thread, so that a hanging DNS lookup cannot block.
    """
    import socket
    import threading
    import urllib.parse

    proxy = next(
        (os.environ[k] for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy") if os.environ.get(k)),
        None,
    )
    host, port = _DOWNLOAD_HOST
    if proxy:
        parsed = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
        host, port = parsed.hostname or host, parsed.port or 80
    reached = []

    def probe():
        try:
            with socket.create_connection((host, port), timeout=_PROBE_SECONDS):
                reached.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(_PROBE_SECONDS + 0.5)
    return None if reached else f"{host}:{port}"


def _not_available_message(name, split, spec, root, local, download, err):
    example_root = root or "/path/to/data"
    files = local_files.expected_files(name, example_root)
    lines = [f"Could not load dataset {name!r} with split={split!r}."]
    if local:
        have = sorted(local)
        lines.append(
            f"The local copy under {root!r} has only the {have} split(s), "
            f"not {spec.name!r}."
        )
        if have == ["test"]:
            lines.append(
                "Train on a slice of the test split instead, e.g. "
                "split='test[:8000]', and evaluate on split='test[8000:]'."
            )
    elif root:
        if os.path.isdir(root):
            state = ""
        else:
            state = " (a file, not a folder)" if os.path.exists(root) else " (no such folder)"
        lines.append(f"No local copy found under {root!r}{state}.")
    else:
        lines.append(f"No local copy: data_dir is None and ${DATA_DIR_ENV} is not set.")
    lines.append(
        f"To work offline, put the original files at {DATA_DIR_ENV}={example_root} "
        f"(or pass data_dir=): {', '.join(files)}."
    )
    reason = (
        "download=False and it is not prepared"
        if not download
        else "it could not download it (offline?)"
    )
    first_line = str(err).strip().splitlines()[0] if str(err).strip() else ""
    lines.append(
        f"tensorflow_datasets could not load it: {reason}. "
        f"{type(err).__name__}: {first_line}"
    )
    return "\n".join(lines)
