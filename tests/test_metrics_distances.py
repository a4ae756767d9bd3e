"""Tests for kerasgen.metrics: FID / KID and the PSNR / SSIM metric functions."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from kerasgen import metrics
from kerasgen.metrics import (
    frechet_distance,
    frechet_distance_from_features,
    kernel_distance,
    kernel_distance_from_features,
    psnr,
    ssim,
)


@pytest.fixture
def projection():
    """A fixed random projection: images (B, 8, 8, 1) -> features (B, 6)."""
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(
                6,
                use_bias=False,
                kernel_initializer=keras.initializers.RandomNormal(seed=0),
            ),
        ]
    )


@pytest.fixture
def images():
    return np.random.default_rng(0).uniform(-1, 1, (40, 8, 8, 1)).astype("float32")


def mean_features(batch):
    """A numpy extractor: per-image mean and standard deviation."""
    batch = np.asarray(batch)
    return np.stack([batch.mean(axis=(1, 2, 3)), batch.std(axis=(1, 2, 3))], axis=1)


# --------------------------------------------------------------------------
# Frechet distance


def test_frechet_matches_closed_form_for_1d_gaussians():
    rng = np.random.default_rng(1)
    x = rng.normal(1.0, 2.0, size=(4000, 1))
    y = rng.normal(-1.0, 0.5, size=(3000, 1))
    # For 1-D Gaussians: d^2 = (m1 - m2)^2 + (s1 - s2)^2.
    expected = (x.mean() - y.mean()) ** 2 + (x.std(ddof=1) - y.std(ddof=1)) ** 2
    result = frechet_distance_from_features(x, y)
    np.testing.assert_allclose(result, expected, rtol=1e-9)
    np.testing.assert_allclose(result, 2.0**2 + 1.5**2, rtol=0.05)


def test_frechet_of_a_set_with_itself_is_zero_and_grows_with_shift():
    features = np.random.default_rng(2).normal(size=(300, 5))
    assert frechet_distance_from_features(features, features) < 1e-8
    distances = [
        frechet_distance_from_features(features, features + shift)
        for shift in (0.25, 0.5, 1.0, 2.0)
    ]
    # Same covariance: the distance is exactly |shift|^2 * D.
    np.testing.assert_allclose(distances, [5 * s**2 for s in (0.25, 0.5, 1.0, 2.0)])
    assert all(a < b for a, b in itertools.pairwise(distances))


def test_frechet_handles_singular_covariances():
    # 3 samples in 10 dimensions: rank-deficient covariances.
    features = np.random.default_rng(3).normal(size=(3, 10))
    result = frechet_distance_from_features(features, features[::-1] + 1.0)
    np.testing.assert_allclose(result, 10.0, atol=1e-4)


@pytest.mark.parametrize(
    "f1, f2, match",
    [
        (np.zeros((5,)), np.zeros((5, 2)), r"features1 must have shape \(N, D\)"),
        (np.zeros((1, 2)), np.zeros((5, 2)), "N >= 2"),
        (np.zeros((5, 2)), np.zeros((5, 3)), "same dimension D"),
        (np.full((5, 2), np.nan), np.zeros((5, 2)), "features1 must be finite"),
    ],
)
def test_feature_validation(f1, f2, match):
    with pytest.raises(ValueError, match=match):
        frechet_distance_from_features(f1, f2)
    with pytest.raises(ValueError, match=match):
        kernel_distance_from_features(f1, f2)


# --------------------------------------------------------------------------
# Kernel distance


def brute_force_kid(x, y):
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, written with loops."""
    m, d = x.shape

    def k(a, b):
        return (np.dot(a, b) / d + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return (xx + yy) / (m * (m - 1)) - 2.0 * xy / m**2


def test_kid_matches_brute_force_on_one_full_subset():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(7, 3)), rng.normal(0.5, 1.0, size=(7, 3))
    # A subset as large as the sets is the whole set: the estimate is exact.
    result = kernel_distance_from_features(x, y, num_subsets=3, subset_size=50)
    np.testing.assert_allclose(result, brute_force_kid(x, y), rtol=1e-10)


def test_kid_near_zero_for_same_distribution_and_grows_with_shift():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(400, 4)), rng.normal(size=(400, 4))
    kwargs = {"num_subsets": 20, "subset_size": 100, "seed": 0}
    same = kernel_distance_from_features(x, y, **kwargs)
    shifted = [
        kernel_distance_from_features(x, y + s, **kwargs) for s in (0.5, 1.0, 2.0)
    ]
    assert abs(same) < 0.1 * shifted[0]
    assert all(a < b for a, b in itertools.pairwise(shifted))


def test_kid_is_reproducible_with_a_seed():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(50, 3)), rng.normal(size=(60, 3))
    kwargs = {"num_subsets": 5, "subset_size": 10}
    assert kernel_distance_from_features(x, y, seed=1, **kwargs) == (
        kernel_distance_from_features(x, y, seed=1, **kwargs)
    )
    assert kernel_distance_from_features(x, y, seed=1, **kwargs) != (
        kernel_distance_from_features(x, y, seed=2, **kwargs)
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"num_subsets": 0}, ValueError, "num_subsets must be >= 1"),
        ({"subset_size": 1}, ValueError, "subset_size must be >= 2"),
        ({"subset_size": 2.0}, TypeError, "subset_size must be an int"),
        ({"seed": "a"}, TypeError, "seed must be an int"),
    ],
)
def test_kid_argument_validation(kwargs, error, match):
    features = np.zeros((4, 2))
    with pytest.raises(error, match=match):
        kernel_distance_from_features(features, features, **kwargs)


# --------------------------------------------------------------------------
# Image-level distances with a pluggable extractor


def test_image_fid_with_keras_extractor(images, projection):
    assert frechet_distance(images, images, extractor=projection, batch_size=7) < 1e-6
    near = frechet_distance(images, images + 0.1, extractor=projection)
    far = frechet_distance(images, images + 0.5, extractor=projection)
    assert 0 < near < far


def test_image_distances_accept_datasets(images, projection):
    dataset = tf.data.Dataset.from_tensor_slices((images, np.zeros(40))).batch(16)
    fake = images[::-1] * 0.5
    np.testing.assert_allclose(
        frechet_distance(dataset, fake, extractor=projection),
        frechet_distance(images, fake, extractor=projection),
        rtol=1e-5,
    )
    kwargs = {"extractor": mean_features, "num_subsets": 4, "subset_size": 20}
    np.testing.assert_allclose(
        kernel_distance(dataset, fake, seed=0, **kwargs),
        kernel_distance(images, fake, seed=0, **kwargs),
        rtol=1e-5,
    )


def test_image_kid_with_numpy_extractor(images):
    kwargs = {
        "extractor": mean_features,
        "num_subsets": 10,
        "subset_size": 20,
        "seed": 0,
    }
    same = kernel_distance(images, images, **kwargs)
    shifted = kernel_distance(images, images + 1.0, **kwargs)
    assert abs(same) < 0.05 * shifted


def test_extractor_output_is_validated(images):
    with pytest.raises(ValueError, match=r"extractor must return features of shape"):
        frechet_distance(images, images, extractor=lambda x: np.zeros((3, 2)))
    with pytest.raises(TypeError, match="extractor must be None, a callable"):
        frechet_distance(images, images, extractor="inception")


def test_image_validation(images, projection):
    with pytest.raises(ValueError, match=r"real_images must be images of shape"):
        frechet_distance(images[:, :, :, 0], images, extractor=projection)
    with pytest.raises(ValueError, match=r"fake_images must be images .*N >= 2"):
        kernel_distance(images, images[:1], extractor=projection)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        frechet_distance(images, images, extractor=projection, batch_size=0)


def test_default_extractor_offline_error(images, monkeypatch):
    def offline(*args, **kwargs):
        # keras.utils.get_file raises a plain Exception when offline.
        raise Exception("URL fetch failure: no internet")  # noqa: TRY002

    metrics._inception_v3.cache_clear()
    monkeypatch.setattr(keras.applications, "InceptionV3", offline)
    try:
        with pytest.raises(
            RuntimeError,
            match=r"InceptionV3 ImageNet weights.*"
            r"pass extractor=",
        ):
            frechet_distance(images, images)
    finally:
        metrics._inception_v3.cache_clear()


def test_default_extractor_preprocessing(monkeypatch):
    calls = []

    def fake_inception(**kwargs):
        """Stands in for InceptionV3: features = per-channel mean of its input."""
        calls.append(kwargs)
        return keras.Sequential(
            [keras.Input(kwargs["input_shape"]), keras.layers.GlobalAveragePooling2D()]
        )

    metrics._inception_v3.cache_clear()
    monkeypatch.setattr(keras.applications, "InceptionV3", fake_inception)
    try:
        extract = metrics.inception_v3_extractor(value_range=(0, 1))
        gray = np.stack([np.full((20, 20, 1), v, "float32") for v in (0.0, 0.25, 1.0)])
        features = np.asarray(extract(gray))
    finally:
        metrics._inception_v3.cache_clear()
    assert calls == [
        {
            "include_top": False,
            "weights": "imagenet",
            "input_shape": (299, 299, 3),
            "pooling": "avg",
        }
    ]
    # [0, 1] -> [0, 255] -> preprocess_input -> [-1, 1], gray tiled to RGB.
    np.testing.assert_allclose(features, [[-1.0] * 3, [-0.5] * 3, [1.0] * 3], atol=1e-5)


# --------------------------------------------------------------------------
# PSNR / SSIM metric functions


@pytest.fixture
def image_pair():
    rng = np.random.default_rng(7)
    clean = rng.random((2, 24, 24, 3)).astype("float32")
    noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1).astype("float32")
    return clean, noisy


def test_psnr_matches_skimage(image_pair):
    clean, noisy = image_pair
    expected = [
        peak_signal_noise_ratio(c, n, data_range=1.0) for c, n in zip(clean, noisy)
    ]
    np.testing.assert_allclose(psnr(clean, noisy).numpy(), expected, rtol=1e-4)


def test_ssim_matches_skimage(image_pair):
    clean, noisy = image_pair
    expected = [
        structural_similarity(
            c,
            n,
            data_range=1.0,
            channel_axis=-1,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
        for c, n in zip(clean, noisy)
    ]
    np.testing.assert_allclose(ssim(clean, noisy).numpy(), expected, atol=1e-4)
    np.testing.assert_allclose(ssim(clean, clean).numpy(), [1.0, 1.0], atol=1e-6)


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_psnr_and_ssim_refuse_integer_images(image_pair, metric):
    # uint8 targets were cast without rescaling: psnr about -44 dB, no error.
    clean, noisy = image_pair
    as_uint8 = (clean * 255).astype(np.uint8)
    with pytest.raises(ValueError, match=r"y_true must be float images in \[0, 1\].*convert_image_dtype.*dtype=uint8"):
        metric(as_uint8, noisy)
    with pytest.raises(ValueError, match=r"y_pred must be float.*dtype=int32"):
        metric(clean, as_uint8.astype(np.int32))


def test_ssim_refuses_images_smaller_than_its_window():
    small = np.zeros((2, 8, 12, 1), "float32")
    with pytest.raises(ValueError, match=r"at least 11x11.*Received: images of shape \(2, 8, 12, 1\)"):
        ssim(small, small)
    spec = tf.TensorSpec((None, None, None, 1), tf.float32)
    graph = tf.function(ssim, input_signature=[spec, spec])
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 11x11"):
        graph(small, small)


@pytest.mark.slow
def test_metrics_compile_save_and_reload(tmp_path, image_pair):
    clean, noisy = image_pair
    model = keras.Sequential([keras.Input((24, 24, 3)), keras.layers.Identity()])
    model.compile(loss="mse", metrics=[psnr, ssim])
    results = model.evaluate(noisy, clean, verbose=0, return_dict=True)
    np.testing.assert_allclose(
        results["psnr"], psnr(clean, noisy).numpy().mean(), rtol=1e-4
    )
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    reloaded_results = reloaded.evaluate(noisy, clean, verbose=0, return_dict=True)
    np.testing.assert_allclose(reloaded_results["ssim"], results["ssim"], rtol=1e-6)
