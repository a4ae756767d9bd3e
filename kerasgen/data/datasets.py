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

from kerasgen._checks import check_bool, check_int, check_seed, check_value_range
from kerasgen.data.local_files import count_local_examples
from kerasgen.data.named_datasets import DATA_DIR_ENV, load_named_arrays  # noqa: F401  (DATA_DIR_ENV re-exported)
from kerasgen.data.pipelines import _COLOR_MODES, array_pipeline, folder_pipeline
from kerasgen.data.image_folder import scan_image_folder
from kerasgen.data.splits import parse_split

DATASET_NAMES = ("mnist", "fashion_mnist", "cifar10")
_NAMED_SPLITS = ("train", "test")
_FOLDER_SPLITS = ("train", "all")
_NAMED_SPLIT_SIZES = {
    "mnist": {"train": 60_000, "test": 10_000},
    "fashion_mnist": {"train": 60_000, "test": 10_000},
    "cifar10": {"train": 50_000, "test": 10_000},
}


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
    repeat=False,
    start_batch=0,
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
    ``keras.utils.image_dataset_from_directory`` does, except that images
    with transparent pixels (alpha channel, transparent palette entry or
    colour key) are composited over white, as
    :func:`kerasgen.restoration.read_image` reads them (``channels=4``
    keeps the alpha channel instead). With
    ``with_labels=True`` each top-level sub-folder is a class (labels 0, 1,
    ... in sorted order of the names) and every image must be in one.
    A folder has the single split ``"train"`` (alias ``"all"``), which can
    be sliced, e.g. ``"train[:90%]"`` / ``"train[90%:]"``: a slice selects
    from a fixed pseudo-random permutation of the sorted files (the same
    whatever ``seed``), so each slice draws from every class and slices of
    one folder are disjoint and complementary. A name wins over a
    folder of the same name: write ``"./mnist"`` for the folder. With
    ``cache`` (the default), a folder's images are decoded once here, so a
    truncated or corrupt file is named in a ``ValueError`` at once (with
    ``cache=False`` it fails later, during iteration, with TensorFlow's
    error).

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
            to ``$KERASGEN_DATA_DIR``; not ``""``; refused with a folder of
            images. An explicit ``data_dir`` is also
            ``tfds.load``'s ``data_dir`` (the environment variable is not:
            tfds then uses its default, ``~/tensorflow_datasets``).
        download: Whether tfds may download a dataset that is not prepared.
        cache: Folders only (named datasets are always in memory): True
            caches the decoded images in memory, a str caches them to that
            file, False decodes them at every epoch.
        drop_remainder: Whether to drop the last batch when it has fewer than
            `batch_size` images.
        repeat: False (default): one pass over the images, reshuffled each
            time the dataset is iterated (``fit(dataset, epochs=...)``).
            True: an endless stream of passes (give ``fit`` its
            ``steps_per_epoch``), pass ``p`` shuffled in an order that
            depends only on ``seed`` and ``p`` (``seed=None``: a seed drawn
            once), so that a stream started at ``start_batch`` continues
            another one exactly. Each pass ends with its own last, smaller
            batch unless ``drop_remainder``. A folder's passes come from
            its images decoded once into memory (``cache=True``) or from
            its files (``cache=False``; a cache file is refused).
        start_batch: Int >= 0, with ``repeat=True``: the stream starts at
            its batch number ``start_batch`` (to resume a run after ``k``
            epochs of ``steps_per_epoch`` batches: ``k * steps_per_epoch``);
            the passes before that batch's pass are never made.

    Returns:
        A ``tf.data.Dataset`` of float32 images ``(batch, height, width,
        channels)`` in `value_range`, or of pairs ``(images, labels)`` when
        `with_labels` is True.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument has an invalid value: unknown dataset
            name, invalid split or slice, ``value_range`` not a pair lo < hi,
            ``batch_size < 1``, ``drop_remainder=True`` with fewer
            images than `batch_size` (no batch at all), an image of a
            folder that cannot be decoded (named in the message), ...
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
    return load_dataset_and_size(
        name_or_path,
        split,
        batch_size=batch_size,
        image_size=image_size,
        value_range=value_range,
        channels=channels,
        with_labels=with_labels,
        shuffle=shuffle,
        seed=seed,
        data_dir=data_dir,
        download=download,
        cache=cache,
        drop_remainder=drop_remainder,
        repeat=repeat,
        start_batch=start_batch,
    )[0]


def load_dataset_and_size(
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
    repeat=False,
    start_batch=0,
):
    """`load_dataset`, and the number of images of one pass (private to kerasgen).

    The recipes need the batches of one pass for an endless
    (``repeat=True``) stream; see `load_dataset` for the arguments.

    Returns:
        A pair ``(dataset, num_examples)``.
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
    if data_dir is not None and not os.fspath(data_dir):
        raise ValueError(
            "data_dir must be a non-empty path or None (None: "
            f"${DATA_DIR_ENV}). Received: data_dir={data_dir!r}"
        )
    for flag, value in (
        ("with_labels", with_labels),
        ("shuffle", shuffle),
        ("download", download),
        ("drop_remainder", drop_remainder),
        ("repeat", repeat),
    ):
        check_bool(flag, value)
    start_batch = check_int("start_batch", start_batch, minimum=0)
    if start_batch and not repeat:
        raise ValueError(
            "start_batch is a position in the endless stream of repeat=True. "
            f"Received: start_batch={start_batch} with repeat=False"
        )
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
        "repeat": repeat,
        "start_batch": start_batch,
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
        images, labels = load_named_arrays(
            name_or_path, split, spec, data_dir=data_dir, download=download
        )
        return array_pipeline(images, labels, **pipeline)

    folder = _resolve_folder(name_or_path)
    if data_dir is not None:  # $KERASGEN_DATA_DIR (data_dir=None) is not refused
        raise ValueError(
            f"data_dir is only used with a dataset name ({', '.join(DATASET_NAMES)}), not "
            f"with a folder of images (kerasgen train: --data-dir). Received: "
            f"data_dir={os.fspath(data_dir)!r}, name_or_path={folder!r}"
        )
    if spec.name not in _FOLDER_SPLITS:
        raise ValueError(
            f"A folder of images has the single split 'train' (alias 'all'), "
            f"which may be sliced, e.g. 'train[:90%]'. Received: split={split!r}"
        )
    return folder_pipeline(folder, spec, cache=cache, **pipeline)


def check_disjoint_splits(
    name_or_path, split, other_split, *, names=("split", "validation_split"), data_dir=None
):
    """Refuses two splits of one dataset or folder that share images.

    For example ``"test[:64]"`` and ``"test[:32]"`` (training on images it
    then validates on); ``"test[:8000]"`` and ``"test[8000:]"`` pass, as do
    slices of different splits. Slices of a folder are compared as
    `load_dataset` resolves them (its ``"train"`` and ``"all"`` are the same
    split). Named datasets have the size of their local copy under
    `data_dir` (or ``$KERASGEN_DATA_DIR``) when there is one, else their
    published sizes (MNIST, Fashion-MNIST: 60000 train, 10000 test;
    CIFAR-10: 50000, 10000).

    Args:
        name_or_path: As for `load_dataset`.
        split: A split string, e.g. the training split.
        other_split: Another split string, e.g. the validation split.
        names: The argument names of `split` and `other_split` for the
            error message.
        data_dir: As for `load_dataset`.

    Raises:
        ValueError: If the two splits share images, or a split is invalid.
    """
    spec, other = parse_split(split), parse_split(other_split)
    named = isinstance(name_or_path, str) and name_or_path in DATASET_NAMES

    def split_name(s):
        lower = s.name.lower()
        return "train" if not named and lower == "all" else lower

    if split_name(spec) != split_name(other):
        return
    if named:
        num_examples = _NAMED_SPLIT_SIZES[name_or_path].get(split_name(spec))
        if num_examples is None:
            return
        root = (os.environ.get(DATA_DIR_ENV) or None) if data_dir is None else data_dir
        if not isinstance(root, (str, os.PathLike)):
            root = None  # a bad data_dir: refused by load_dataset
        local = count_local_examples(name_or_path, split_name(spec), root)
        num_examples = num_examples if local is None else local
    else:
        folder = _resolve_folder(name_or_path)
        num_examples = len(scan_image_folder(folder).files)
    a_start, a_stop = spec.bounds(num_examples)
    b_start, b_stop = other.bounds(num_examples)
    start, stop = max(a_start, b_start), min(a_stop, b_stop)
    if start < stop:
        source = name_or_path if named else os.fspath(name_or_path)
        raise ValueError(
            f"{names[0]} and {names[1]} share images: {split!r} and "
            f"{other_split!r} of {source!r} both hold images [{start}:{stop}] "
            f"of the {num_examples} of split {spec.name!r}. Use disjoint "
            f"slices, e.g. {names[0]}='{spec.name}[:90%]' and "
            f"{names[1]}='{spec.name}[90%:]'. Received: {names[0]}={split!r}, "
            f"{names[1]}={other_split!r}"
        )


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
