"""`load_dataset`: batched ``tf.data`` pipelines of images for GAN / VAE training.

Sources, in this order for a named dataset (``"mnist"``, ``"fashion_mnist"``,
``"cifar10"``):

1. local files in their original format under ``data_dir`` or
   ``$KERASGEN_DATA_DIR`` (see `kerasgen.data.local_files`), which works
   offline;
2. TensorFlow Datasets (``tfds.load``), which downloads when online;
3. otherwise one ``FileNotFoundError`` saying which files to put where.

Any other string or path is a folder of images, read recursively (see
`kerasgen.data.image_folder.scan_image_folder`).
"""

from kerasgen import _backend  # noqa: F401, I001  (backend guard first)

import os

import numpy as np
import tensorflow as tf

from kerasgen._checks import check_bool, check_int, check_seed, check_value_range
from kerasgen.data import image_folder, local_files
from kerasgen.data.splits import parse_split

DATASET_NAMES = ("mnist", "fashion_mnist", "cifar10")
DATA_DIR_ENV = "KERASGEN_DATA_DIR"
_NAMED_SPLITS = ("train", "test")
_FOLDER_SPLITS = ("train", "all")
_FOLDER_SHUFFLE_BUFFER = 10_000
_COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}


def load_dataset(
    name_or_path,
    split="train",
    *,
    batch_size=64,
    image_size=None,
    value_range=(-1.0, 1.0),
    channels=None,
    with_labels=False,
    shuffle=True,
    seed=None,
    data_dir=None,
    download=True,
    cache=True,
    drop_remainder=False,
):
    """Loads an image dataset as a batched, prefetched ``tf.data.Dataset``.

    Named datasets (``"mnist"``, ``"fashion_mnist"``, ``"cifar10"``) are read
    from local files when ``data_dir`` (or the environment variable
    ``KERASGEN_DATA_DIR``) holds them in their original format::

        <data_dir>/mnist/train-images-idx3-ubyte.gz   (and train-labels-...,
        <data_dir>/mnist/t10k-images-idx3-ubyte.gz     t10k-labels-...)
        <data_dir>/fashion_mnist/...                   (same four names)
        <data_dir>/cifar10/cifar-10-batches-bin/data_batch_1.bin ... test_batch.bin
        (the binary version; the Python, pickled, version is refused)

    and otherwise with TensorFlow Datasets (``tfds.load``, downloading when
    ``download=True`` and online). Named
    datasets are held in memory as ``uint8`` and shuffled completely.

    Any other string or ``os.PathLike`` is a folder of images (``.png``,
    ``.jpg``, ``.jpeg``, ``.bmp``, ``.gif``; TIFF is not supported), read
    recursively: the images directly in the folder and those in its
    sub-folders at any depth (hidden folders skipped), decoded as
    ``keras.utils.image_dataset_from_directory`` does. With
    ``with_labels=True`` each top-level sub-folder is a class (labels 0, 1,
    ... in sorted order of the names) and every image must be in one.
    A folder has the single split ``"train"`` (alias ``"all"``), which can
    be sliced, e.g. ``"train[:90%]"`` / ``"train[90%:]"``. A name wins over a
    folder of the same name: write ``"./mnist"`` for the folder.

    Args:
        name_or_path: ``"mnist"``, ``"fashion_mnist"``, ``"cifar10"``, or the
            path of a folder of images.
        split: ``"train"``, ``"test"`` or a tfds-style slice of one:
            ``"test[:8000]"``, ``"test[8000:]"``, ``"train[:10%]"``,
            ``"train[-10%:]"``. Slices work for local files and folders too.
        batch_size: Images per batch, an int >= 1.
        image_size: Optional ``(height, width)``: images are resized to it
            (``tf.image.resize``, bilinear). For a folder of images of
            different sizes it is required; otherwise defaults to the native
            size.
        value_range: Pair ``(lo, hi)``, ``lo < hi``: pixel values are scaled
            linearly from [0, 255] to it. ``(-1, 1)`` for GANs (tanh output),
            ``(0, 1)`` for VAEs (sigmoid output).
        channels: Optional 1 (grayscale), 3 (RGB) or, for folders, 4 (RGBA).
            Defaults to the native channels (folders: 1 when every image is
            grayscale, else 3).
        with_labels: Whether to yield ``(images, labels)`` with ``int32``
            labels instead of images only.
        shuffle: Whether to reshuffle the examples at every epoch.
        seed: Optional int: the same seed gives the same order of batches.
        data_dir: Optional folder holding local copies (see above); defaults
            to ``$KERASGEN_DATA_DIR``. An explicit ``data_dir`` is also
            ``tfds.load``'s ``data_dir`` (the environment variable is not:
            tfds then uses its default, ``~/tensorflow_datasets``).
        download: Whether tfds may download a dataset that is not prepared.
        cache: Folders only (named datasets are always in memory): True
            caches the decoded images in memory, a str caches them to that
            file, False decodes them at every epoch.
        drop_remainder: Whether to drop the last batch when it has fewer than
            `batch_size` images.

    Returns:
        A ``tf.data.Dataset`` of float32 images ``(batch, height, width,
        channels)`` in `value_range`, or of pairs ``(images, labels)`` when
        `with_labels` is True.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument has an invalid value: unknown dataset
            name, invalid split or slice, ``value_range`` not a pair lo < hi,
            ``batch_size < 1``, ...
        FileNotFoundError: If a named dataset has no local copy and tfds could
            not load it (offline), with the files to put where; or if a
            folder path does not exist.

    Example:

    Train a GAN on the first 8000 MNIST test digits (works offline with the
    files in ``$KERASGEN_DATA_DIR/mnist/``):

    >>> ds = load_dataset("mnist", split="test[:8000]", batch_size=64,
    ...                   seed=0)  # doctest: +SKIP
    >>> images = next(iter(ds))  # doctest: +SKIP
    >>> images.shape, images.dtype  # doctest: +SKIP
    (TensorShape([64, 28, 28, 1]), tf.float32)
    """
    batch_size = check_int("batch_size", batch_size, minimum=1)
    image_size = _check_image_size(image_size)
    value_range = check_value_range(value_range)
    if channels is not None:
        channels = check_int("channels", channels)
        if channels not in _COLOR_MODES:
            raise ValueError(
                f"channels must be None, 1, 3 or 4. Received: channels={channels!r}"
            )
    seed = check_seed(seed)
    if not isinstance(cache, (bool, str)):
        raise TypeError(
            f"cache must be a bool or a file name (str). Received: cache={cache!r}"
        )
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(
            f"data_dir must be a str, os.PathLike or None. "
            f"Received: data_dir={data_dir!r}"
        )
    for flag, value in (
        ("with_labels", with_labels),
        ("shuffle", shuffle),
        ("download", download),
        ("drop_remainder", drop_remainder),
    ):
        check_bool(flag, value)
    spec = parse_split(split)
    pipeline = {
        "batch_size": batch_size,
        "image_size": image_size,
        "value_range": value_range,
        "channels": channels,
        "with_labels": with_labels,
        "shuffle": shuffle,
        "seed": seed,
        "drop_remainder": drop_remainder,
    }

    if isinstance(name_or_path, str) and name_or_path in DATASET_NAMES:
        if spec.name not in _NAMED_SPLITS:
            raise ValueError(
                f"split must name one of {_NAMED_SPLITS} for {name_or_path!r}. "
                f"Received: split={split!r}"
            )
        if channels == 4:
            raise ValueError(
                f"channels=4 (RGBA) is only for folders of images. "
                f"Received: channels=4 for {name_or_path!r}"
            )
        images, labels = _load_named_arrays(
            name_or_path, split, spec, data_dir=data_dir, download=download
        )
        return _array_pipeline(images, labels, **pipeline)

    folder = _resolve_folder(name_or_path)
    if spec.name not in _FOLDER_SPLITS:
        raise ValueError(
            f"A folder of images has the single split 'train' (alias 'all'), "
            f"which may be sliced, e.g. 'train[:90%]'. Received: split={split!r}"
        )
    return _folder_pipeline(folder, spec, cache=cache, **pipeline)


# --------------------------------------------------------------------------
# Argument checks.


def _check_image_size(image_size):
    if image_size is None:
        return None
    if (
        not isinstance(image_size, (tuple, list))
        or len(image_size) != 2
        or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
            for s in image_size
        )
    ):
        raise ValueError(
            "image_size must be None or a pair (height, width) of ints >= 1. "
            f"Received: image_size={image_size!r}"
        )
    return int(image_size[0]), int(image_size[1])


def _resolve_folder(name_or_path):
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"name_or_path must be one of {DATASET_NAMES} or the path of a "
            f"folder of images. Received: name_or_path={name_or_path!r}"
        )
    path = os.fspath(name_or_path)
    if os.path.isdir(path):
        return path
    if os.path.exists(path):
        raise ValueError(
            f"name_or_path must be a folder of images, not a file. "
            f"Received: name_or_path={path!r}"
        )
    looks_like_path = (
        isinstance(name_or_path, os.PathLike)
        or os.sep in path
        or (os.altsep is not None and os.altsep in path)
        or path.startswith((".", "~"))
    )
    if looks_like_path:
        raise FileNotFoundError(
            f"Image folder not found. Received: name_or_path={path!r}"
        )
    raise ValueError(
        f"Unknown dataset name. Expected one of {DATASET_NAMES} or the path "
        f"of a folder of images. Received: name_or_path={path!r}"
    )


# --------------------------------------------------------------------------
# Named datasets: local files, else tfds, else one clear error.


def _load_named_arrays(name, split, spec, *, data_dir, download):
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
        lines.append(f"No local copy found under {root!r}.")
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


# --------------------------------------------------------------------------
# Pipelines.


def _array_pipeline(
    images,
    labels,
    *,
    batch_size,
    image_size,
    value_range,
    channels,
    with_labels,
    shuffle,
    seed,
    drop_remainder,
):
    num_examples = len(images)
    images = tf.constant(images)
    labels = tf.constant(labels, dtype=tf.int32)
    # Shuffle and batch indices, then gather: a full shuffle without copying
    # images through a shuffle buffer.
    dataset = tf.data.Dataset.range(num_examples)
    if shuffle:
        dataset = dataset.shuffle(
            num_examples, seed=seed, reshuffle_each_iteration=True
        )
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    preprocess = _make_preprocess(image_size, value_range, channels)

    def gather(indices):
        batch = preprocess(tf.gather(images, indices))
        if with_labels:
            return batch, tf.gather(labels, indices)
        return batch

    dataset = dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _folder_pipeline(
    folder,
    spec,
    *,
    cache,
    batch_size,
    image_size,
    value_range,
    channels,
    with_labels,
    shuffle,
    seed,
    drop_remainder,
):
    info = image_folder.scan_image_folder(folder)
    if with_labels and info.class_names is None:
        raise ValueError(
            "with_labels=True needs one sub-folder per class in the image "
            f"folder; it has none. Received: name_or_path={folder!r}"
        )
    if with_labels and info.top_level_files:
        raise ValueError(
            "with_labels=True labels each image by its class sub-folder, but "
            f"{len(info.top_level_files)} image(s) lie directly in the folder, "
            "outside any class: move them into a class sub-folder, or pass "
            f"with_labels=False. Received: {info.top_level_files[0]!r}"
        )
    # Reads every header: also refuses decompression bombs before decoding.
    native_size, native_channels = image_folder.infer_image_properties(
        info.files, require_same_size=image_size is None
    )
    image_size = image_size or native_size
    channels = channels or native_channels
    start, stop = spec.bounds(len(info.files))
    dataset = _decode_files(
        info.files[start:stop],
        info.labels[start:stop] if with_labels else None,
        image_size,
        channels,
    )
    if cache:
        dataset = dataset.cache() if cache is True else dataset.cache(cache)
    if shuffle:
        dataset = dataset.shuffle(
            min(stop - start, _FOLDER_SHUFFLE_BUFFER),
            seed=seed,
            reshuffle_each_iteration=True,
        )
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    # Images are already resized and have the requested channels.
    preprocess = _make_preprocess(None, value_range, None)
    if with_labels:
        dataset = dataset.map(
            lambda images, labels: (preprocess(images), tf.cast(labels, tf.int32)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    else:
        dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _decode_files(files, labels, image_size, channels):
    """Dataset of decoded, resized images (and labels), as Keras' folder loader.

    Decodes with ``tf.io.decode_image`` to `channels` channels and resizes
    bilinearly to `image_size`, like
    ``keras.utils.image_dataset_from_directory``, but over the exact list of
    files found by `image_folder.scan_image_folder` (recursive, top level
    included).
    """
    height, width = image_size

    def load(path):
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=channels, expand_animations=False
        )
        image = tf.image.resize(image, (height, width), method="bilinear")
        image.set_shape((height, width, channels))
        return image

    paths = tf.data.Dataset.from_tensor_slices(list(files))
    if labels is None:
        return paths.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    pairs = tf.data.Dataset.zip(
        paths, tf.data.Dataset.from_tensor_slices(tf.constant(labels, tf.int32))
    )
    return pairs.map(lambda p, y: (load(p), y), num_parallel_calls=tf.data.AUTOTUNE)


def _make_preprocess(image_size, value_range, channels):
    """Returns a function mapping a [0, 255] image batch to float32 `value_range`."""
    lo, hi = value_range

    def preprocess(images):
        images = tf.cast(images, tf.float32)
        if image_size is not None and tuple(images.shape[1:3]) != image_size:
            images = tf.image.resize(images, image_size, antialias=True)
        if channels is not None and images.shape[-1] != channels:
            if channels == 3:
                images = tf.image.grayscale_to_rgb(images)
            else:
                images = tf.image.rgb_to_grayscale(images)
        images = tf.clip_by_value(images, 0.0, 255.0)
        return images * ((hi - lo) / 255.0) + lo

    return preprocess
