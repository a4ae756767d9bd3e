"""Training images of the GAN / VAE recipes: a name, a folder or a dataset (private).

``training_images`` turns what the user gave (``"mnist"``, a folder of images,
or a ready batched ``tf.data.Dataset``) into a batched dataset plus what the
builders need to know: the image shape and, for conditional models, the
number of classes.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import dataclasses
import os

import numpy as np
import tensorflow as tf

from kerasgen._checks import check_image_shape
from kerasgen.data.datasets import DATASET_NAMES, load_dataset_and_size
from kerasgen.data.image_folder import scan_image_folder
from kerasgen.data.pipelines import batches_per_pass
from kerasgen.data.splits import parse_split

# MNIST, Fashion-MNIST and CIFAR-10 all have 10 classes.
NAMED_NUM_CLASSES = 10
# Tolerance on the value range of a user dataset (float rounding).
_RANGE_TOLERANCE = 1e-3


@dataclasses.dataclass(frozen=True)
class TrainingImages:
    """Batched training data and what it tells about the models to build.

    Attributes:
        dataset: Batched ``tf.data.Dataset`` of images or ``(images, labels)``.
        image_shape: ``(height, width, channels)`` of the images.
        num_classes: Number of classes when labels are used, else None.
        steps_per_epoch: For an endless stream (``stream=True`` on a name or
            a folder): the batches of an epoch to give ``fit``; else None.
    """

    dataset: tf.data.Dataset
    image_shape: tuple
    num_classes: int | None
    steps_per_epoch: int | None = None


def is_named(source):
    """True when ``source`` is the name of a built-in dataset."""
    return isinstance(source, str) and source in DATASET_NAMES


def check_source(source, name="dataset"):
    """Raises unless ``source`` is a dataset name, a path or a ``tf.data.Dataset``."""
    if not isinstance(source, (str, os.PathLike, tf.data.Dataset)):
        raise TypeError(
            f"{name} must be one of {DATASET_NAMES}, the path of a folder of "
            f"images, or a batched tf.data.Dataset. Received: {name} of type "
            f"{type(source).__name__}"
        )


def training_images(
    source,
    *,
    split,
    batch_size,
    image_shape,
    value_range,
    with_labels,
    num_classes,
    data_dir,
    seed,
    drop_remainder,
    purpose,
    download=True,
    name="dataset",
    stream=False,
    start_epoch=0,
    steps_per_epoch=None,
):
    """Loads or checks the images to train (or validate) on.

    Args:
        source: A dataset name (see ``kerasgen.data.load_dataset``), a folder
            of images, or a batched ``tf.data.Dataset`` of images (or of
            ``(images, labels)`` when ``with_labels``) already in
            ``value_range``.
        split: Split string for names and folders (ignored for a dataset).
        batch_size: Batch size for names and folders.
        image_shape: Optional ``(height, width, channels)``: names and folders
            are resized / converted to it; a dataset must already match.
        value_range: Pair ``(lo, hi)`` the model expects.
        with_labels: Whether the model needs labels.
        num_classes: Optional number of classes (required for a conditional
            model on a ``tf.data.Dataset``).
        data_dir: Optional data root for the named datasets.
        seed: Shuffling seed.
        drop_remainder: Whether to drop a last, smaller batch.
        purpose: Text for error messages, e.g. ``"A GAN"``.
        download: Whether TensorFlow Datasets may download a named dataset.
        name: Argument name for error messages.
        stream: For a name or a folder: an endless stream of passes, each
            shuffled in an order that depends only on ``seed`` and the pass
            (``load_dataset(repeat=True)``), so that a resumed run trains on
            the batches an uninterrupted one would have. A
            ``tf.data.Dataset`` is returned as given.
        start_epoch: With ``stream``: the stream starts at the first batch of
            this epoch (the epoch a resumed run starts at).
        steps_per_epoch: With ``stream``: batches per epoch, or None for one
            pass per epoch (the returned ``steps_per_epoch``).

    Returns:
        A :class:`TrainingImages`.

    Raises:
        TypeError, ValueError, FileNotFoundError: On invalid input, see the
            messages.
    """
    check_source(source, name)
    if image_shape is not None:
        image_shape = check_image_shape(image_shape)
    if isinstance(source, tf.data.Dataset):
        if data_dir is not None:
            raise ValueError(
                f"data_dir is only used with a dataset name. Received: "
                f"data_dir={data_dir!r} with a tf.data.Dataset as {name}"
            )
        return _check_dataset(
            source, image_shape, value_range, with_labels, num_classes, purpose, name
        )

    def load(start_batch):
        return load_dataset_and_size(
            source,
            split,
            batch_size=batch_size,
            image_size=None if image_shape is None else image_shape[:2],
            channels=None if image_shape is None else image_shape[2],
            value_range=value_range,
            with_labels=with_labels,
            shuffle=True,
            seed=seed,
            data_dir=data_dir,
            download=download,
            drop_remainder=drop_remainder,
            repeat=stream,
            start_batch=start_batch,
        )

    dataset, num_examples = load(start_epoch * (steps_per_epoch or 0) if stream else 0)
    if stream:
        per_pass = batches_per_pass(num_examples, batch_size, drop_remainder)
        if steps_per_epoch is None and start_epoch and per_pass:
            # An epoch is a pass, whose length is known now: the stream again,
            # from the pass the resumed run starts with.
            dataset, _ = load(start_epoch * per_pass)
        steps_per_epoch = steps_per_epoch or per_pass
    if batches_per_pass(num_examples, batch_size, drop_remainder) == 0:
        raise ValueError(
            f"The {name} gives no batch: split {split!r} has fewer images than "
            f"batch_size={batch_size}. Use a smaller batch_size or more images."
        )
    if with_labels and num_classes is None:
        if is_named(source):
            num_classes = NAMED_NUM_CLASSES
        else:
            class_names = scan_image_folder(source).class_names or ()
            num_classes = len(class_names)
            if num_classes < 2:
                raise ValueError(
                    f"A conditional model needs labels: a folder with one "
                    f"sub-folder per class (at least 2). Received: {name}="
                    f"{os.fspath(source)!r} with {num_classes} class folder(s)"
                )
    images_spec = dataset.element_spec[0] if with_labels else dataset.element_spec
    shape = tuple(images_spec.shape[1:])
    if None in shape:  # not expected: load_dataset resizes to one size
        shape = tuple(_first_images(dataset, with_labels).shape[1:])
    return TrainingImages(
        dataset,
        check_image_shape(shape),
        num_classes if with_labels else None,
        steps_per_epoch if stream else None,
    )


def _first_images(dataset, with_labels):
    batch = next(iter(dataset.take(1)))
    return batch[0] if with_labels else batch


def _check_dataset(
    dataset, image_shape, value_range, with_labels, num_classes, purpose, name
):
    """Checks a user dataset with its first batch; returns TrainingImages."""
    if dataset.cardinality() == 0:
        raise ValueError(f"The {name} is empty. Received: {name} with no element")
    batch = next(iter(dataset.take(1)))
    labels = None
    if isinstance(batch, (tuple, list)):
        if not batch:
            raise ValueError(f"The {name} yields empty tuples. Received: {batch!r}")
        images = batch[0]
        labels = batch[1] if len(batch) > 1 else None
    else:
        images = batch
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"The {name} must yield batches of images (batch, height, width, "
            f"channels), e.g. dataset.batch(64). Received: an element of "
            f"shape {images.shape}"
        )
    shape = check_image_shape(tuple(int(s) for s in images.shape[1:]))
    if image_shape is not None and shape != image_shape:
        raise ValueError(
            f"image_shape does not match the images of the {name}. Received: "
            f"image_shape={image_shape}, images of shape {shape}"
        )
    lo, hi = value_range
    if images.size and (
        not np.isfinite(images).all()
        or images.min() < lo - _RANGE_TOLERANCE
        or images.max() > hi + _RANGE_TOLERANCE
    ):
        raise ValueError(
            f"{purpose} trains on images in [{lo:g}, {hi:g}] (e.g. "
            f"load_dataset(..., value_range=({lo:g}, {hi:g}))). Received: "
            f"values in [{images.min():.4g}, {images.max():.4g}] in the first "
            f"batch of the {name}"
        )
    if with_labels:
        if labels is None:
            raise ValueError(
                f"A conditional model trains on (images, labels) batches. "
                f"Received: a {name} of images only"
            )
        if num_classes is None:
            raise ValueError(
                "num_classes is needed for a conditional model on a "
                "tf.data.Dataset. Received: num_classes=None"
            )
        labels = np.asarray(labels)
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f"labels must be class ids in [0, num_classes={num_classes}). "
                f"Received: labels in [{labels.min()}, {labels.max()}] in the "
                f"first batch of the {name}"
            )
    return TrainingImages(dataset, shape, num_classes if with_labels else None)


def auto_validation_split(source, split):
    """The validation split ``validation_split="auto"`` stands for.

    * ``"<name>[:stop]"`` -> ``"<name>[stop:]"`` (the rest of that split),
      e.g. ``"test[:8000]"`` -> ``"test[8000:]"``, ``"train[:90%]"`` ->
      ``"train[90%:]"``;
    * a built-in dataset's whole ``"train"`` split -> ``"test"``;
    * otherwise (a whole folder, other slices, a ``tf.data.Dataset``) None.

    Args:
        source: What the model trains on.
        split: The training split string.

    Returns:
        A split string or None.
    """
    if isinstance(source, tf.data.Dataset):
        return None
    spec = parse_split(split)
    if spec.start is None and spec.stop is not None:
        stop = f"{spec.stop:g}%" if spec.stop_is_percent else str(spec.stop)
        return f"{spec.name}[{stop}:]"
    if not spec.is_sliced and spec.name == "train" and is_named(source):
        return "test"
    return None


def training_stream(data, steps_per_epoch):
    """``(dataset, steps_per_epoch)`` to give ``fit`` for :func:`training_images`' ``data``.

    An endless stream (``stream=True``) comes with its steps; a user's
    ``tf.data.Dataset`` is repeated if ``steps_per_epoch`` needs it.
    """
    if data.steps_per_epoch is not None:
        return data.dataset, data.steps_per_epoch
    return repeat_if_needed(data.dataset, steps_per_epoch), steps_per_epoch


def repeat_if_needed(dataset, steps_per_epoch, name="dataset"):
    """Repeats a finite dataset when ``steps_per_epoch`` is set.

    ``fit`` keeps one iterator across epochs when ``steps_per_epoch`` is
    given, so a finite dataset must repeat to last ``epochs *
    steps_per_epoch`` batches. Without ``steps_per_epoch`` an infinite
    dataset has no epoch end and is rejected.

    Raises:
        ValueError: For an infinite dataset without ``steps_per_epoch``.
    """
    infinite = dataset.cardinality() == tf.data.INFINITE_CARDINALITY
    if steps_per_epoch is None:
        if infinite:
            raise ValueError(
                f"The {name} is infinite (repeated), so an epoch has no end: "
                f"pass steps_per_epoch. Received: steps_per_epoch=None"
            )
        return dataset
    return dataset if infinite else dataset.repeat()
