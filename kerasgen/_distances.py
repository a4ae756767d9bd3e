"""FID and KID: distances between two image sets through extracted features.

Public through `kerasgen.metrics` (`frechet_distance`, `kernel_distance`,
their ``*_from_features`` versions and `inception_v3_extractor`).
"""

from kerasgen import _backend  # noqa: F401, I001  (backend guard first)

import functools
import warnings

import keras
import numpy as np
import tensorflow as tf

from kerasgen._checks import check_int, check_seed, check_value_range

INCEPTION_SIZE = (299, 299)
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"


# --------------------------------------------------------------------------
# Feature-level distances (numpy / scipy).


def frechet_distance_from_features(features1, features2):
    """Frechet distance between Gaussians fitted to two sets of features.

    ``d^2 = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))`` with the sample
    means ``mu`` and covariances ``S`` (``np.cov``, ``ddof=1``), as in the
    reference FID implementation. The matrix square root is
    ``scipy.linalg.sqrtm``; its tiny imaginary parts (numerical noise) are
    dropped, and a singular product is regularised with ``1e-6 * I``.

    Args:
        features1: Array-like ``(N1, D)`` of features, ``N1 >= 2``.
        features2: Array-like ``(N2, D)`` of features, ``N2 >= 2``.

    Returns:
        The distance as a Python float, >= 0.

    Raises:
        ValueError: If the features are not 2-D, have fewer than 2 rows,
            different dimensions ``D``, or non-finite values.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(500, 4))
    >>> frechet_distance_from_features(a, a) < 1e-6
    True
    >>> round(frechet_distance_from_features(a, a + 1.0), 6)  # |shift|^2 = 4
    4.0
    """
    from scipy import linalg  # scipy only needed here

    f1, f2 = _check_feature_pair(features1, features2)
    mu1, mu2 = f1.mean(axis=0), f2.mean(axis=0)
    sigma1 = np.atleast_2d(np.cov(f1, rowvar=False))
    sigma2 = np.atleast_2d(np.cov(f2, rowvar=False))
    with warnings.catch_warnings():
        # Singular covariances (fewer samples than dimensions, constant
        # features) are common and handled below.
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():
            offset = np.eye(sigma1.shape[0]) * 1e-6
            covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        scale = max(np.abs(covmean.real).max(), 1.0)
        if np.abs(covmean.imag).max() > 1e-3 * scale:
            warnings.warn(
                "frechet_distance: the matrix square root has a large imaginary "
                f"part ({np.abs(covmean.imag).max():.3g}); the features are "
                "probably too few for their dimension, the result is unreliable.",
                RuntimeWarning,
                stacklevel=2,
            )
        covmean = covmean.real
    diff = mu1 - mu2
    distance = (
        diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    )
    return max(float(distance), 0.0)


def kernel_distance_from_features(
    features1, features2, *, num_subsets=100, subset_size=1000, seed=None
):
    """Kernel distance (KID): unbiased MMD^2 with a cubic polynomial kernel.

    ``k(x, y) = (x . y / D + 1)^3``. As in Binkowski et al. (2018), the
    unbiased MMD^2 estimate is averaged over `num_subsets` random subsets of
    ``m = min(subset_size, N1, N2)`` features of each set, drawn without
    replacement. Unlike FID, the estimate is unbiased, so it can be slightly
    negative for two samples of the same distribution.

    Args:
        features1: Array-like ``(N1, D)`` of features, ``N1 >= 2``.
        features2: Array-like ``(N2, D)`` of features, ``N2 >= 2``.
        num_subsets: Number of random subsets, an int >= 1.
        subset_size: Features per subset, an int >= 2 (clipped to the size
            of the smaller set).
        seed: Optional int seeding the subset draws.

    Returns:
        The mean MMD^2 over the subsets, as a Python float.

    Raises:
        ValueError: If the features are invalid (see
            `frechet_distance_from_features`) or `num_subsets` /
            `subset_size` are out of range.

    Example:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(200, 8)), rng.normal(size=(200, 8))
    >>> kid_same = kernel_distance_from_features(a, b, seed=0)
    >>> kid_shifted = kernel_distance_from_features(a, b + 1.0, seed=0)
    >>> abs(kid_same) < 0.05 < kid_shifted
    True
    """
    f1, f2 = _check_feature_pair(features1, features2)
    num_subsets = check_int("num_subsets", num_subsets, minimum=1)
    subset_size = check_int("subset_size", subset_size, minimum=2)
    seed = check_seed(seed)
    m = min(subset_size, len(f1), len(f2))
    dim = f1.shape[1]
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for i in range(num_subsets):
        x = f1[rng.choice(len(f1), m, replace=False)]
        y = f2[rng.choice(len(f2), m, replace=False)]
        k_xx = (x @ x.T / dim + 1.0) ** 3
        k_yy = (y @ y.T / dim + 1.0) ** 3
        k_xy = (x @ y.T / dim + 1.0) ** 3
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (
            m * (m - 1)
        )
        estimates[i] = within - 2.0 * k_xy.mean()
    return float(estimates.mean())


# --------------------------------------------------------------------------
# Image-level distances.


def frechet_distance(
    real_images, fake_images, *, extractor=None, batch_size=64, value_range=(-1, 1)
):
    """Frechet distance (FID) between two image sets.

    Features come from `extractor`, by default `inception_v3_extractor`
    (images resized to 299x299, gray tiled to RGB, InceptionV3 pooled
    features: the usual FID). Compare FIDs only when computed with the same
    extractor and numbers of images: FID is biased for small sets.

    Args:
        real_images: Images ``(N, H, W, C)`` (numpy or tensor), or a
            ``tf.data.Dataset`` of image batches or of ``(images, labels)``
            batches (e.g. from `kerasgen.data.load_dataset`). ``N >= 2``.
        fake_images: Same, e.g. ``gan.generate(1000)``.
        extractor: Optional callable or ``keras.Model`` mapping a float32
            image batch ``(B, H, W, C)`` to features ``(B, D)``. Defaults to
            ``inception_v3_extractor(value_range)``.
        batch_size: Images per extractor call for array inputs, int >= 1.
        value_range: Pixel range ``(lo, hi)`` of the images, used by the
            default extractor only: ``(-1, 1)`` for GAN images, ``(0, 1)``
            for VAE images.

    Returns:
        The FID as a Python float.

    Raises:
        ValueError: If the images or features are invalid.
        RuntimeError: If the default extractor's ImageNet weights cannot be
            loaded (offline): pass ``extractor=``.

    Example:

    >>> fid = frechet_distance(test_images, gan.generate(1000))  # doctest: +SKIP
    """
    f1, f2 = _image_features(
        real_images, fake_images, extractor, batch_size, value_range
    )
    return frechet_distance_from_features(f1, f2)


def kernel_distance(
    real_images,
    fake_images,
    *,
    extractor=None,
    num_subsets=100,
    subset_size=1000,
    seed=None,
    batch_size=64,
    value_range=(-1, 1),
):
    """Kernel distance (KID) between two image sets.

    Features as in `frechet_distance`; the distance is
    `kernel_distance_from_features`. KID is unbiased, so unlike FID it can be
    compared across set sizes.

    Args:
        real_images: Images ``(N, H, W, C)`` or a ``tf.data.Dataset`` of
            batches (see `frechet_distance`). ``N >= 2``.
        fake_images: Same.
        extractor: Optional callable or ``keras.Model`` mapping an image batch
            to ``(B, D)`` features; defaults to `inception_v3_extractor`.
        num_subsets: Number of random subsets, an int >= 1.
        subset_size: Images per subset, an int >= 2 (clipped to the size of
            the smaller set).
        seed: Optional int seeding the subset draws.
        batch_size: Images per extractor call for array inputs, int >= 1.
        value_range: Pixel range of the images, for the default extractor.

    Returns:
        The KID as a Python float.

    Raises:
        ValueError: If the images, features or arguments are invalid.
        RuntimeError: If the default extractor's ImageNet weights cannot be
            loaded (offline): pass ``extractor=``.

    Example:

    >>> kid = kernel_distance(test_images, gan.generate(1000))  # doctest: +SKIP
    """
    num_subsets = check_int("num_subsets", num_subsets, minimum=1)
    subset_size = check_int("subset_size", subset_size, minimum=2)
    f1, f2 = _image_features(
        real_images, fake_images, extractor, batch_size, value_range
    )
    return kernel_distance_from_features(
        f1, f2, num_subsets=num_subsets, subset_size=subset_size, seed=seed
    )


def inception_v3_extractor(value_range=(-1, 1)):
    """The standard FID / KID feature extractor: InceptionV3 pooled features.

    ``keras.applications.InceptionV3(include_top=False, pooling="avg",
    weights="imagenet")``; images are rescaled from `value_range` to
    [0, 255], gray images tiled to RGB, resized to 299x299 (bilinear) and
    passed through ``keras.applications.inception_v3.preprocess_input``. The
    model is built once per process.

    Args:
        value_range: Pixel range ``(lo, hi)`` of the images, ``lo < hi``.

    Returns:
        A function mapping an image batch ``(B, H, W, 1 or 3)`` to float32
        features ``(B, 2048)``.

    Raises:
        ValueError: If `value_range` is not a pair lo < hi.
        RuntimeError: If the ImageNet weights cannot be loaded (Keras
            downloads them once to
            ``~/.keras/models/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5``).

    Example:

    >>> extract = inception_v3_extractor(value_range=(0, 1))  # doctest: +SKIP
    >>> extract(np.zeros((2, 28, 28, 1), "float32")).shape  # doctest: +SKIP
    (2, 2048)
    """
    lo, hi = check_value_range(value_range)
    model = _inception_v3()
    preprocess = keras.applications.inception_v3.preprocess_input

    def extract(images):
        images = tf.convert_to_tensor(images, tf.float32)
        channels = images.shape[-1]
        if channels == 1:
            images = tf.image.grayscale_to_rgb(images)
        elif channels != 3:
            raise ValueError(
                "The InceptionV3 extractor needs images with 1 or 3 channels. "
                f"Received: shape={tuple(images.shape)}"
            )
        images = (images - lo) * (255.0 / (hi - lo))
        images = tf.image.resize(images, INCEPTION_SIZE, method="bilinear")
        return model.predict_on_batch(preprocess(images))

    return extract


@functools.cache
def _inception_v3():
    try:
        return keras.applications.InceptionV3(
            include_top=False,
            weights="imagenet",
            input_shape=(*INCEPTION_SIZE, 3),
            pooling="avg",
        )
    except Exception as err:  # download failures raise many types
        raise RuntimeError(
            "Could not load the InceptionV3 ImageNet weights used by default "
            "for FID / KID (no internet access?). Keras downloads them once to "
            f"~/.keras/models/{INCEPTION_WEIGHTS_FILE}: copy that file there "
            "from a machine that has it, or pass extractor=<a callable or "
            "keras.Model mapping images (batch, H, W, C) to features "
            f"(batch, D)>. Cause: {type(err).__name__}: {err}"
        ) from err


def _image_features(real_images, fake_images, extractor, batch_size, value_range):
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if extractor is None:
        extractor = inception_v3_extractor(value_range)
    elif not callable(extractor):
        raise TypeError(
            "extractor must be None, a callable or a keras.Model mapping "
            f"images to (batch, D) features. Received: extractor={extractor!r}"
        )
    f1 = _extract(real_images, extractor, batch_size, "real_images")
    f2 = _extract(fake_images, extractor, batch_size, "fake_images")
    return f1, f2


def _extract(images, extractor, batch_size, name):
    if isinstance(images, tf.data.Dataset):
        batches = (b[0] if isinstance(b, (tuple, list)) else b for b in images)
    else:
        array = (
            keras.ops.convert_to_numpy(images)
            if tf.is_tensor(images)
            else (np.asarray(images))
        )
        if array.ndim != 4 or array.shape[0] < 2:
            raise ValueError(
                f"{name} must be images of shape (N, H, W, C) with N >= 2. "
                f"Received: shape={array.shape}"
            )
        array = array.astype(np.float32, copy=False)
        batches = (array[i : i + batch_size] for i in range(0, len(array), batch_size))
    features = []
    for batch in batches:
        if len(batch.shape) != 4:
            raise ValueError(
                f"{name} batches must be images of shape (B, H, W, C). "
                f"Received: shape={tuple(batch.shape)}"
            )
        if isinstance(extractor, keras.Model):
            out = extractor.predict_on_batch(batch)
        else:
            out = extractor(batch)
        out = np.asarray(keras.ops.convert_to_numpy(out))
        if out.ndim != 2 or out.shape[0] != batch.shape[0]:
            raise ValueError(
                f"extractor must return features of shape (batch, D) = "
                f"({batch.shape[0]}, D) for a batch of {name}. "
                f"Received: shape={out.shape}"
            )
        features.append(out)
    if not features:
        raise ValueError(f"{name} is empty. Received: an empty dataset")
    return np.concatenate(features).astype(np.float64)


# --------------------------------------------------------------------------
# Argument checks.


def _check_feature_pair(features1, features2):
    arrays = []
    for name, features in (("features1", features1), ("features2", features2)):
        array = np.asarray(
            keras.ops.convert_to_numpy(features)
            if tf.is_tensor(features)
            else features,
            dtype=np.float64,
        )
        if array.ndim != 2 or array.shape[0] < 2 or array.shape[1] < 1:
            raise ValueError(
                f"{name} must have shape (N, D) with N >= 2 and D >= 1. "
                f"Received: shape={array.shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{name} must be finite. Received: NaN or inf values")
        arrays.append(array)
    if arrays[0].shape[1] != arrays[1].shape[1]:
        raise ValueError(
            "features1 and features2 must have the same dimension D. "
            f"Received: shapes {arrays[0].shape} and {arrays[1].shape}"
        )
    return arrays
