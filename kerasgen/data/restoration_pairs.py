"""Training pairs ``(degraded, clean)`` for learned restorers, as ``tf.data``.

Clean images (a folder or an array) are read once into memory; every element
is a random patch, augmented (flips, 90-degree rotations) and degraded on the
fly. All randomness comes from stateless ops seeded from ``seed`` and the
element's position in the stream, so a given ``seed`` gives the same pairs on
every run, whatever the parallelism.
"""

import os
import re

import numpy as np
import tensorflow as tf

from kerasgen._checks import check_bool, check_float, check_int, check_seed
from kerasgen.data.degradations import DEGRADATIONS, check_finite_interval, make_degradation
from kerasgen.data.image_folder import has_transparency, scan_image_folder
from kerasgen.data.pipelines import _luma, decode_image, read_composited
from kerasgen.restoration.io import read_image


def load_clean_images(source, *, channels=1):
    """Loads clean images from a folder or an array, as float32 in [0, 1].

    Args:
        source: A folder (str or ``os.PathLike``) of PNG/JPEG/BMP/GIF files
            (as listed by
            :func:`kerasgen.data.image_folder.scan_image_folder`: the files
            of its sub-folders if it has any, else its own), a float array ``(N, H, W)`` or
            ``(N, H, W, C)`` with values in ``[0, 1]``, or a list of float
            arrays ``(H, W)`` / ``(H, W, C)`` (sizes may differ). Files
            with transparent pixels (alpha channel, transparent palette
            entry or colour key) are composited over white, as
            :func:`kerasgen.restoration.read_image` reads them.
        channels: 1 (gray) or 3 (RGB): images are converted to this many
            channels (RGB to gray with the ITU-R 601 luma weights, gray to
            RGB by repetition).

    Returns:
        A list of float32 arrays ``(H, W, channels)`` with values in
        ``[0, 1]``, in file-name order for a folder.

    Raises:
        ValueError: If the folder has no image file, a file cannot be
            decoded, an array has the wrong rank, dtype, values or channels.
        FileNotFoundError: If ``source`` is a path that is not a folder.
        TypeError: If ``source`` is of another type.

    Example:

    >>> import numpy as np
    >>> images = load_clean_images(np.zeros((2, 8, 8)), channels=1)
    >>> len(images), images[0].shape, images[0].dtype
    (2, (8, 8, 1), dtype('float32'))
    """
    _check_channels(channels)
    if isinstance(source, (str, os.PathLike)):
        return _read_folder(os.fspath(source), channels)
    if isinstance(source, np.ndarray):
        if source.ndim not in (3, 4):
            raise ValueError(
                "source array must have shape (N, H, W) or (N, H, W, C). "
                f"Received: source.shape={source.shape}"
            )
        arrays = list(source)
    elif isinstance(source, (list, tuple)):
        arrays = [np.asarray(a) for a in source]
        for i, a in enumerate(arrays):
            if a.ndim not in (2, 3):
                raise ValueError(
                    "source images must have shape (H, W) or (H, W, C). "
                    f"Received: source[{i}].shape={a.shape}"
                )
    else:
        raise TypeError(
            "source must be a folder path, a numpy array (N, H, W[, C]) or a "
            f"list of arrays. Received: source of type {type(source).__name__}"
        )
    if not arrays:
        raise ValueError("source must hold at least one image. Received: 0 images")
    return [_convert_array(a, channels, f"source[{i}]") for i, a in enumerate(arrays)]


def make_restoration_dataset(
    source,
    *,
    degradation="gaussian",
    sigma_range=(0.0, 55 / 255),
    sigma_power=1.0,
    patch_size=64,
    batch_size=16,
    augment=True,
    repeat=True,
    shuffle=True,
    seed=None,
    channels=1,
    with_noise_level=False,
    patches_per_image=1,
    blur_std_range=(0.5, 3.0),
    blur_noise_sigma=0.01,
    mask_fraction_range=(0.1, 0.5),
    jpeg_quality_range=(10, 60),
    scale_range=(2, 4),
    start=0,
):
    """Makes a ``tf.data.Dataset`` of ``(degraded, clean)`` training patches.

    Each pass over the data draws ``patches_per_image`` random
    ``patch_size x patch_size`` crops of every image (shuffled), optionally
    flipped and rotated by a multiple of 90 degrees (the 8 symmetries of the
    square), then degraded:

    * ``"gaussian"``: additive white Gaussian noise, its standard deviation
      drawn in ``sigma_range`` for each patch (blind denoising): uniformly,
      or with more small values for ``sigma_power > 1``.
      The noisy values are not clipped to ``[0, 1]``.
    * ``"blur"``: convolution with an isotropic Gaussian PSF of standard
      deviation drawn in ``blur_std_range`` (pixels; mirror borders, TF's
      ``"REFLECT"`` padding: ``kerasgen.restoration.blur(..., mode="mirror")``
      with ``gaussian_psf(2 * ceil(3 * max std) + 1, std)``), plus
      Gaussian noise of standard deviation drawn in
      ``[0, blur_noise_sigma]``.
    * ``"inpaint"``: a random fraction (drawn in ``mask_fraction_range``) of
      the pixels is missing, i.e. set to 0 in every channel.
    * ``"jpeg"``: JPEG compression (``tf.image.adjust_jpeg_quality``) at a
      quality drawn in ``jpeg_quality_range`` (inclusive).
    * ``"downsample"``: downscaled by an integer factor drawn in
      ``scale_range`` (inclusive; antialiased bicubic) to ``patch_size //
      factor`` pixels, and upscaled back (bicubic) to the patch size. The
      factor is exact when it divides ``patch_size`` (otherwise it is
      ``patch_size / (patch_size // factor)``, e.g. 3.05 for 3 and 64:
      choose a ``patch_size`` that every factor divides, such as 96 or 120
      for ``(2, 4)``, to train for ``kerasgen.restoration.downsample``'s).
    * a callable ``fn(clean_patch, seed) -> degraded_patch``: ``clean_patch``
      is a float32 tensor ``(patch_size, patch_size, channels)``, ``seed`` an
      int64 tensor of shape ``(2,)`` for stateless ``tf.random`` ops; it must
      be traceable by ``tf.function`` and return the same shape.

    Args:
        source: Clean images, see :func:`load_clean_images`: a folder, a float
            array ``(N, H, W[, C])`` in ``[0, 1]`` or a list of arrays.
        degradation: One of ``"gaussian"``, ``"blur"``, ``"inpaint"``,
            ``"jpeg"``, ``"downsample"`` or a callable (see above).
        sigma_range: ``(low, high)`` noise standard deviation in image units
            for ``"gaussian"``, ``0 <= low <= high``.
        sigma_power: Float > 0: the noise level is ``low + (high - low) *
            u ** sigma_power`` with ``u`` uniform in ``[0, 1)``. 1 (default)
            draws sigma uniformly; 1.5 draws a third of the patches from
            the lowest fifth of ``sigma_range`` instead of a fifth, which
            trains a denoiser better at the small levels plug-and-play
            iterations end with.
        patch_size: Int >= 1, side of the square patches; at most the
            smallest image side.
        batch_size: Int >= 1.
        augment: Bool, random flips and 90-degree rotations.
        repeat: Bool, repeat forever (use ``steps_per_epoch`` in ``fit``).
        shuffle: Bool, shuffle the image order at every pass.
        seed: Int or ``None``. Same seed, same stream of pairs.
        channels: 1 or 3, channels of the patches.
        with_noise_level: Bool. If True, elements are
            ``((degraded, sigma), clean)`` with ``sigma`` of shape
            ``(batch, 1)``, for models built with ``noise_level_input=True``.
            Only for ``degradation="gaussian"``.
        patches_per_image: Int >= 1, patches per image and pass.
        blur_std_range: ``(low, high)`` PSF standard deviation for ``"blur"``.
        blur_noise_sigma: Maximum noise standard deviation for ``"blur"``.
        mask_fraction_range: ``(low, high)`` in ``[0, 1]``, fraction of
            missing pixels for ``"inpaint"``.
        jpeg_quality_range: ``(low, high)`` ints in ``[0, 100]`` for
            ``"jpeg"``.
        scale_range: ``(low, high)`` ints >= 1 for ``"downsample"``.
        start: Int >= 0, position in the stream of the first pair: the
            dataset gives pairs ``start, start + 1, ...`` of the stream that
            ``start=0`` gives, exactly (to resume a run after ``k`` epochs
            of ``steps_per_epoch`` batches: ``start=k * steps_per_epoch *
            batch_size``). Costs nothing: no skipped pair is made.

    Returns:
        A batched ``tf.data.Dataset`` of float32 ``(degraded, clean)`` pairs of
        shape ``(batch, patch_size, patch_size, channels)`` (or
        ``((degraded, sigma), clean)``), clean values in ``[0, 1]``.

    Raises:
        ValueError: If an argument is invalid, the folder holds no image, or
            ``patch_size`` is larger than an image.
        TypeError: If ``augment``, ``repeat``, ``shuffle`` or
            ``with_noise_level`` is not a bool, an int argument or ``seed``
            is not an int, or ``source`` has a wrong type.
        FileNotFoundError: If ``source`` is a path that is not a folder.

    Example:

    >>> import numpy as np
    >>> clean = np.random.default_rng(0).random((4, 32, 32))
    >>> ds = make_restoration_dataset(clean, patch_size=16, batch_size=2,
    ...                               seed=0)
    >>> degraded, target = next(iter(ds))
    >>> tuple(degraded.shape), tuple(target.shape)
    ((2, 16, 16, 1), (2, 16, 16, 1))
    """
    patch_size = check_int("patch_size", patch_size, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    patches_per_image = check_int("patches_per_image", patches_per_image, minimum=1)
    start = check_int("start", start, minimum=0)
    for name, value in (
        ("augment", augment),
        ("repeat", repeat),
        ("shuffle", shuffle),
        ("with_noise_level", with_noise_level),
    ):
        check_bool(name, value)
    seed = check_seed(seed)
    if not callable(degradation) and degradation not in DEGRADATIONS:
        raise ValueError(
            f"degradation must be one of {DEGRADATIONS} or a callable. "
            f"Received: degradation={degradation!r}"
        )
    if with_noise_level and degradation != "gaussian":
        raise ValueError(
            'with_noise_level=True needs degradation="gaussian". '
            f"Received: degradation={degradation!r}"
        )
    sigma_range = check_finite_interval("sigma_range", sigma_range, 0.0)
    sigma_power = check_float("sigma_power", sigma_power, minimum=0.0, open_minimum=True)
    degrade = make_degradation(
        degradation,
        patch_size=patch_size,
        sigma_range=sigma_range,
        sigma_power=sigma_power,
        blur_std_range=blur_std_range,
        blur_noise_sigma=blur_noise_sigma,
        mask_fraction_range=mask_fraction_range,
        jpeg_quality_range=jpeg_quality_range,
        scale_range=scale_range,
    )

    if isinstance(source, (str, os.PathLike)):
        # 8-bit files stay uint8 in memory (4x smaller), converted per patch.
        images = _read_folder(
            os.fspath(source), _check_channels(channels), as_uint8=True
        )
    else:
        images = load_clean_images(source, channels=channels)
    smallest = min(images, key=lambda a: min(a.shape[:2]))
    if patch_size > min(smallest.shape[:2]):
        raise ValueError(
            "patch_size must be at most the smallest image side. Received: "
            f"patch_size={patch_size}, smallest image shape={smallest.shape[:2]}"
        )

    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    seed = int(seed) % (2**63)
    num_images = len(images)
    shapes = tf.constant([a.shape for a in images], tf.int64)
    sizes = [a.size for a in images]
    offsets = tf.constant(np.concatenate([[0], np.cumsum(sizes)[:-1]]), tf.int64)
    flat = tf.constant(np.concatenate([a.ravel() for a in images]))
    patch_shape = (patch_size, patch_size, channels)

    def make_pair(counter, index):
        index = index % num_images
        seeds = tf.random.experimental.stateless_split(
            tf.stack([tf.constant(seed, tf.int64), counter]), num=4
        )
        image = tf.reshape(
            tf.slice(flat, [offsets[index]], [tf.reduce_prod(shapes[index])]),
            shapes[index],
        )
        image = tf.image.convert_image_dtype(image, tf.float32)
        clean = tf.image.stateless_random_crop(image, patch_shape, seed=seeds[0])
        if augment:
            clean = tf.image.stateless_random_flip_left_right(clean, seed=seeds[1])
            turns = tf.random.stateless_uniform(
                [], seed=seeds[2], minval=0, maxval=4, dtype=tf.int32
            )
            clean = tf.image.rot90(clean, turns)
        clean = tf.ensure_shape(clean, patch_shape)
        degraded, sigma = degrade(clean, seeds[3])
        degraded = tf.ensure_shape(tf.cast(degraded, tf.float32), patch_shape)
        if with_noise_level:
            return (degraded, tf.reshape(sigma, (1,))), clean
        return degraded, clean

    count = num_images * patches_per_image
    if shuffle:
        # Pass p is a stateless permutation seeded by (seed, -1 - p): the
        # stream depends on the seed only, not on how many iterators were
        # made before (Dataset.shuffle's reshuffling does, and fit makes an
        # extra one under a distribution strategy). Negative counters never
        # collide with the per-element seeds (seed, element position >= 0).
        def one_pass(pass_index):
            keys = tf.random.stateless_uniform(
                [count], seed=tf.stack([tf.constant(seed, tf.int64), -1 - pass_index])
            )
            order = tf.cast(tf.argsort(keys, stable=True), tf.int64)
            return tf.data.Dataset.from_tensor_slices(order)

        first_pass = start // count
        if repeat:
            passes = tf.data.Dataset.counter(first_pass)
        else:
            passes = tf.data.Dataset.range(first_pass, 1)
        dataset = passes.flat_map(one_pass).skip(start % count)
    else:
        dataset = tf.data.Dataset.range(count)
        if repeat:  # periodic: the same indices as skipping ``start``
            dataset = dataset.repeat().skip(start % count)
        else:
            dataset = dataset.skip(start)
    # Positions of the elements in the stream, which seed their randomness.
    dataset = dataset.enumerate(start).map(
        make_pair, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _check_channels(channels):
    if isinstance(channels, bool) or channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3. Received: channels={channels!r}")
    return channels


def _read_folder(directory, channels, as_uint8=False):
    images = []
    for path in scan_image_folder(directory).files:
        if has_transparency(path):  # composited over white, as read_image does
            if as_uint8:
                images.append(read_composited(path, channels))
            else:
                images.append(_convert_array(read_image(path), channels, repr(path)))
            continue
        try:
            image = decode_image(tf.io.read_file(path), channels)
        except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as error:
            raise ValueError(f"Cannot decode image file {path!r}: {_reason(error)}") from error
        except tf.errors.OpError as error:  # a broken link, a file without read permission
            raise ValueError(f"Cannot read image file {path!r}: {_reason(error)}") from error
        if not as_uint8:
            image = tf.image.convert_image_dtype(image, tf.float32)
        images.append(image.numpy())
    return images


def _reason(error):
    """TensorFlow's error message without its op and device names."""
    return re.sub(r"\{\{.*?\}\}|\[Op:.*", "", error.message).strip()


def _convert_array(array, channels, label):
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"{label} must be a float array in [0, 1] (convert with "
            f"skimage.util.img_as_float). Received: dtype={array.dtype}"
        )
    finite = np.isfinite(array)
    if not finite.all():
        raise ValueError(
            f"{label} values must be finite (no NaN or inf). Received: "
            f"{array.size - int(np.count_nonzero(finite))} non-finite value(s)"
        )
    if array.min() < 0 or array.max() > 1:
        raise ValueError(
            f"{label} values must be finite and in [0, 1]. Received: "
            f"min={array.min()}, max={array.max()}"
        )
    array = array.astype(np.float32)
    if array.ndim == 2:
        array = array[..., None]
    have = array.shape[-1]
    if have == channels:
        return np.ascontiguousarray(array)
    if have == 3 and channels == 1:
        return _luma(array)
    if have == 1 and channels == 3:
        return np.repeat(array, 3, axis=-1)
    raise ValueError(
        f"{label} must have 1 or 3 channels to be converted to channels="
        f"{channels}. Received: shape={array.shape}"
    )
