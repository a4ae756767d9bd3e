"""The ``tf.data`` pipelines of `load_dataset`: from arrays or from a folder of image files.

Each returns ``(dataset, num_examples)``: the images of one pass.
"""

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
    repeat=False,
    start_batch=0,
):
    num_examples = len(images)
    _check_gives_a_batch(num_examples, batch_size, drop_remainder)
    images = tf.constant(images)
    labels = tf.constant(labels, dtype=tf.int32)
    # Shuffle and batch indices, then gather: a full shuffle without copying
    # images through a shuffle buffer.
    dataset = _index_batches(
        num_examples, batch_size, drop_remainder, shuffle, seed, repeat, start_batch
    )
    preprocess = _make_preprocess(image_size, value_range, channels)

    def gather(indices):
        batch = preprocess(tf.gather(images, indices))
        if with_labels:
            return batch, tf.gather(labels, indices)
        return batch

    dataset = dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE), num_examples


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
    repeat=False,
    start_batch=0,
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
    if repeat:
        dataset = _folder_stream(
            files, labels if with_labels else None, image_size, channels, kinds,
            cache=cache, batch_size=batch_size, drop_remainder=drop_remainder,
            shuffle=shuffle, seed=seed, start_batch=start_batch,
        )  # fmt: skip
    else:
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
    return dataset.prefetch(tf.data.AUTOTUNE), stop - start


def batches_per_pass(num_examples, batch_size, drop_remainder):
    """Batches in one pass over ``num_examples`` images."""
    if drop_remainder:
        return num_examples // batch_size
    return -(-num_examples // batch_size)


def _stream_seed(seed):
    """The seed of an endless stream: ``seed``, or one drawn once for None."""
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    return int(seed) % (2**63)


def _index_batches(num_examples, batch_size, drop_remainder, shuffle, seed, repeat, start_batch):
    """Batches of example indices: one pass, or (``repeat``) an endless stream of passes.

    One pass is reshuffled each time it is iterated (``Dataset.shuffle``).
    The stream's pass ``p`` is a stateless permutation seeded by ``(seed,
    p)``: its order does not depend on a shuffle state that a new process
    lacks, so a stream started at ``start_batch`` continues another one
    exactly; the passes before it are never made.
    """
    if not repeat:
        dataset = tf.data.Dataset.range(num_examples)
        if shuffle:
            dataset = dataset.shuffle(
                num_examples, seed=seed, reshuffle_each_iteration=True
            )
        return dataset.batch(batch_size, drop_remainder=drop_remainder)
    seed = _stream_seed(seed)

    def one_pass(pass_index):
        order = tf.range(num_examples, dtype=tf.int64)
        if shuffle:
            keys = tf.random.stateless_uniform(
                [num_examples],
                seed=tf.stack([tf.constant(seed, tf.int64), tf.cast(pass_index, tf.int64)]),
            )
            order = tf.cast(tf.argsort(keys, stable=True), tf.int64)
        return tf.data.Dataset.from_tensor_slices(order).batch(
            batch_size, drop_remainder=drop_remainder
        )

    per_pass = batches_per_pass(num_examples, batch_size, drop_remainder)
    first_pass, offset = divmod(start_batch, per_pass)
    return tf.data.Dataset.counter(first_pass).flat_map(one_pass).skip(offset)


def _folder_stream(
    files, labels, image_size, channels, kinds, *, cache, batch_size, drop_remainder,
    shuffle, seed, start_batch,
):  # fmt: skip
    """The endless stream of `folder_pipeline` (``repeat=True``), unscaled batches.

    With ``cache=True`` every image is decoded once, into memory, and the
    passes gather from there; with ``cache=False`` each pass decodes its
    files in its own order. (A cache file, read in one order only, cannot
    serve a new order at every pass: refused.)
    """
    if isinstance(cache, str):
        raise ValueError(
            "repeat=True draws every pass in a new order from the images in memory "
            "(cache=True) or from the files (cache=False); a cache file cannot serve "
            f"it. Received: cache={cache!r}"
        )
    indices = _index_batches(
        len(files), batch_size, drop_remainder, shuffle, seed, True, start_batch
    )
    if cache:
        decoded = _decode_files(files, labels, image_size, channels, kinds=kinds)
        batches = _decode_once(decoded, files, keep=True)
        if labels is None:
            images = tf.constant(np.concatenate(batches))
            return indices.map(
                lambda i: tf.gather(images, i), num_parallel_calls=tf.data.AUTOTUNE
            )
        images = tf.constant(np.concatenate([b[0] for b in batches]))
        classes = tf.constant(np.concatenate([b[1] for b in batches]))
        return indices.map(
            lambda i: (tf.gather(images, i), tf.gather(classes, i)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    load = _file_loader(files, labels, image_size, channels, kinds)
    spec = tf.TensorSpec((*image_size, channels), tf.float32)
    if labels is not None:
        spec = (spec, tf.TensorSpec((), tf.int32))
    return indices.map(
        lambda i: tf.map_fn(load, i, fn_output_signature=spec),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def _check_gives_a_batch(num_examples, batch_size, drop_remainder):
    if drop_remainder and num_examples < batch_size:
        raise ValueError(
            f"The dataset gives no batch: drop_remainder=True drops every "
            f"image, as the split has {num_examples} image(s), fewer than "
            f"batch_size={batch_size}. Use a smaller batch_size, more images "
            "or drop_remainder=False."
        )


def _decode_once(dataset, files, keep=False):
    """Iterates a cached dataset once, filling the cache; names a bad file.

    With ``keep``, returns the decoded elements, as numpy batches.

    TensorFlow's decoding error (e.g. for a truncated PNG) does not name the
    file. The files are decoded here, in order, when the dataset is built
    rather than inside ``fit``, and a file that fails is found by decoding
    the files of the failing batch one by one.
    """
    done, kept = 0, []
    try:
        batches = dataset.batch(_DECODE_CHECK_BATCH)
        for batch in batches.as_numpy_iterator() if keep else batches:
            done += _DECODE_CHECK_BATCH
            if keep:
                kept.append(batch)
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
    return kept


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
    load = _file_loader(files, labels, image_size, channels, kinds)
    return tf.data.Dataset.range(len(files)).map(load, num_parallel_calls=tf.data.AUTOTUNE)


def _file_loader(files, labels, image_size, channels, kinds=None):
    """``load(index)``: file ``index`` decoded as `_decode_files` does (and its label)."""
    height, width = image_size
    if kinds is None:
        kinds = [image_folder.transparency_kind(path) for path in files]
    # 0: opaque (tf.io.decode_image); 1, 2: 8-bit grey + alpha / RGBA PNG
    # (composited in the graph); 3: other transparency (read_image).
    kinds = [0 if channels == 4 else _TRANSPARENCY_CODES[kind] for kind in kinds]
    paths = tf.constant(list(files))
    codes = tf.constant(kinds, tf.int32) if any(kinds) else None
    classes = None if labels is None else tf.constant(labels, tf.int32)

    def decode(path, kind):
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

    def load(index):
        image = decode(paths[index], None if codes is None else codes[index])
        return image if classes is None else (image, classes[index])

    return load


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
