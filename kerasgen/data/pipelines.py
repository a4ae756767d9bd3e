"""The ``tf.data`` pipelines of `load_dataset`: from arrays or from a folder of image files."""

from kerasgen import _backend  # noqa: F401, I001  (backend guard first)

import os
import re

import numpy as np
import tensorflow as tf

from kerasgen.data import image_folder

_FOLDER_SHUFFLE_BUFFER = 10_000
# Slices of a folder select from this fixed permutation of its sorted files
# (not from the user's seed): any slice draws from every class, and slices
# such as "train[:90%]" / "train[90%:]" stay disjoint whatever the seed.
_FOLDER_SLICE_SEED = 1234
_DECODE_CHECK_BATCH = 256
_COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}
# ITU-R 601 luma, as tf.image.rgb_to_grayscale and skimage.color.rgb2gray.
_LUMA = np.array([0.2989, 0.5870, 0.1140], np.float32)
_TRANSPARENCY_CODES = {None: 0, "LA": 1, "RGBA": 2, "other": 3}


def array_pipeline(
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
    _check_gives_a_batch(num_examples, batch_size, drop_remainder)
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


def folder_pipeline(
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
    native_size, native_channels, kinds = image_folder.header_properties(
        info.files, require_same_size=image_size is None
    )
    image_size = image_size or native_size
    channels = channels or native_channels
    start, stop = spec.bounds(len(info.files))
    _check_gives_a_batch(stop - start, batch_size, drop_remainder)
    files, labels = info.files, info.labels
    if spec.is_sliced:
        # Sorted files are grouped by class: slice a fixed permutation
        # instead, keeping the sorted order within the slice.
        order = np.random.RandomState(_FOLDER_SLICE_SEED).permutation(len(files))
        picked = np.sort(order[start:stop])
        files = tuple(files[i] for i in picked)
        labels = None if labels is None else tuple(labels[i] for i in picked)
        kinds = [kinds[i] for i in picked]
    dataset = _decode_files(
        files, labels if with_labels else None, image_size, channels,
        kinds=kinds,
    )
    if cache:
        dataset = dataset.cache() if cache is True else dataset.cache(cache)
        _decode_once(dataset, files)
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


def _check_gives_a_batch(num_examples, batch_size, drop_remainder):
    if drop_remainder and num_examples < batch_size:
        raise ValueError(
            f"The dataset gives no batch: drop_remainder=True drops every "
            f"image, as the split has {num_examples} image(s), fewer than "
            f"batch_size={batch_size}. Use a smaller batch_size, more images "
            "or drop_remainder=False."
        )


def _decode_once(dataset, files):
    """Iterates a cached dataset once, filling the cache; names a bad file.

    TensorFlow's decoding error (e.g. for a truncated PNG) does not name the
    file. The files are decoded here, in order, when the dataset is built
    rather than inside ``fit``, and a file that fails is found by decoding
    the files of the failing batch one by one.
    """
    done = 0
    try:
        for _ in dataset.batch(_DECODE_CHECK_BATCH):
            done += _DECODE_CHECK_BATCH
    except tf.errors.OpError as error:
        for path in files[done:]:
            try:
                tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
            except tf.errors.OpError as file_error:
                # Keep "Invalid PNG data, size 170", drop TensorFlow's op names.
                reason = re.sub(r"\{\{.*?\}\}|\[Op:.*", "", file_error.message)
                raise ValueError(
                    f"Cannot decode image {path!r} (truncated or corrupt?): "
                    f"{reason.strip()}"
                ) from error
        raise


def _decode_files(files, labels, image_size, channels, kinds=None):
    """Dataset of decoded, resized images (and labels), as Keras' folder loader.

    Decodes with ``tf.io.decode_image`` to `channels` channels and resizes
    bilinearly to `image_size`, like
    ``keras.utils.image_dataset_from_directory``, but over the exact list of
    files found by `image_folder.scan_image_folder` (recursive, top level
    included). Files with transparent pixels are read as
    ``kerasgen.restoration.read_image`` reads them, composited over white
    (see `read_composited`; 8-bit grey + alpha and RGBA PNGs in the graph),
    unless `channels` is 4 (RGBA kept). `kinds`: the
    `image_folder.transparency_kind` of each file, if known.
    """
    height, width = image_size
    if kinds is None:
        kinds = [image_folder.transparency_kind(path) for path in files]
    # 0: opaque (tf.io.decode_image); 1, 2: 8-bit grey + alpha / RGBA PNG
    # (composited in the graph); 3: other transparency (read_image).
    kinds = [0 if channels == 4 else _TRANSPARENCY_CODES[kind] for kind in kinds]

    def load(path, kind=None):
        if kind is None:
            image = decode_image(tf.io.read_file(path), channels)
        else:
            contents = tf.io.read_file(path)
            image = tf.switch_case(
                kind,
                [
                    lambda: decode_image(contents, channels),
                    lambda: _composited_png(contents, path, 2, channels),
                    lambda: _composited_png(contents, path, 4, channels),
                    lambda: read_composited_tensor(path, channels),
                ],
            )
        image = tf.image.resize(image, (height, width), method="bilinear")
        image.set_shape((height, width, channels))
        return image

    if any(kinds):
        paths = tf.data.Dataset.from_tensor_slices((list(files), kinds))
        if labels is None:
            return paths.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        pairs = tf.data.Dataset.zip(
            paths, tf.data.Dataset.from_tensor_slices(tf.constant(labels, tf.int32))
        )
        return pairs.map(
            lambda p, y: (load(*p), y), num_parallel_calls=tf.data.AUTOTUNE
        )
    paths = tf.data.Dataset.from_tensor_slices(list(files))
    if labels is None:
        return paths.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    pairs = tf.data.Dataset.zip(
        paths, tf.data.Dataset.from_tensor_slices(tf.constant(labels, tf.int32))
    )
    return pairs.map(lambda p, y: (load(p), y), num_parallel_calls=tf.data.AUTOTUNE)


def read_composited(path, channels):
    """Reads an image file as `kerasgen.restoration.read_image` does, as uint8.

    Transparent pixels are composited over white (``read_image``'s
    default), so that a transparent image means the same pixels to the
    training loaders as to the restoration functions; the result is
    converted to `channels` (1: ITU-R 601 luma, 3: grey repeated) and
    rounded to 8 bits.

    Args:
        path: Image path (str or bytes).
        channels: 1 or 3.

    Returns:
        A uint8 array ``(H, W, channels)``.
    """
    from kerasgen.restoration.io import read_image

    if isinstance(path, bytes):
        path = os.fsdecode(path)
    image = read_image(path)
    image = image[..., None] if image.ndim == 2 else image
    if channels == 1 and image.shape[-1] == 3:
        image = _luma(image)
    elif channels == 3 and image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)


# Metadata that read_image's EXIF / XMP orientation reads (before or after the
# pixels); RE2's \C matches any byte (a PNG is not UTF-8, which "." needs).
_ORIENTATION_METADATA = r"\C*(eXIf|Raw profile type exif|XML:com\.adobe\.xmp)\C*"


def _composited_png(contents, path, source_channels, channels):
    """`read_composited` of an 8-bit grey + alpha or RGBA PNG, in the graph.

    The same float32 operations as ``read_image`` and `read_composited`, so
    the same uint8 pixels, without a Python call per file (several times
    faster in a ``tf.data`` pipeline). A PNG with EXIF or XMP metadata,
    which may rotate it, is read by `read_composited`.
    """

    def composite():
        image = tf.io.decode_png(contents, channels=0)
        image = tf.ensure_shape(image, (None, None, source_channels))
        image = tf.cast(image, tf.float32) / 255.0
        colour, opacity = image[..., :-1], image[..., -1:]
        image = colour * opacity + (1.0 - opacity)
        if channels == 1 and source_channels == 4:
            image = _luma(image)
        elif channels == 3 and source_channels == 2:
            image = tf.repeat(image, 3, axis=-1)
        return tf.cast(tf.round(tf.clip_by_value(image, 0.0, 1.0) * 255.0), tf.uint8)

    rotated = tf.strings.regex_full_match(contents, _ORIENTATION_METADATA)
    return tf.cond(rotated, lambda: read_composited_tensor(path, channels), composite)


def _luma(image):
    """ITU-R 601 luma of ``(..., 3)`` float32 ``image`` as ``(..., 1)``: NumPy or TensorFlow.

    Written out (no matrix product) so that NumPy and TensorFlow round the
    same way.
    """
    red, green, blue = image[..., 0:1], image[..., 1:2], image[..., 2:3]
    return red * _LUMA[0] + green * _LUMA[1] + blue * _LUMA[2]


def read_composited_tensor(path, channels):
    """`read_composited` inside a ``tf.data`` pipeline (a string tensor path)."""
    image = tf.numpy_function(
        lambda p: read_composited(p, channels), [path], tf.uint8, stateful=False
    )
    image.set_shape((None, None, channels))
    return image


def decode_image(contents, channels):
    """``tf.io.decode_image`` to `channels` (1, 3 or 4) channels, whatever the format.

    TensorFlow decodes GIF to RGB only, BMP not to grey and JPEG not to RGBA:
    such files are decoded to RGB, then converted (ITU-R 601 luma for grey,
    an opaque alpha channel for RGBA).
    """

    def via_rgb():
        rgb = tf.io.decode_image(contents, channels=3, expand_animations=False)
        if channels == 1:
            return tf.image.rgb_to_grayscale(rgb)
        alpha = tf.fill(tf.concat([tf.shape(rgb)[:2], [1]], 0), tf.constant(255, rgb.dtype))
        return tf.concat([rgb, alpha], axis=-1)

    def native():
        return tf.io.decode_image(contents, channels=channels, expand_animations=False)

    if channels == 3:
        return native()
    magic = {1: b"BM", 4: b"\xff\xd8\xff"}[channels]  # BMP, JPEG
    unsupported = tf.logical_or(
        tf.strings.substr(contents, 0, 3) == b"GIF",
        tf.strings.substr(contents, 0, len(magic)) == magic,
    )
    return tf.cond(unsupported, via_rgb, native)


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
