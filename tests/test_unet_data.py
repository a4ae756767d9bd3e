"""Tests of the restoration training pairs pipeline."""

import numpy as np
import pytest
import tensorflow as tf

from kerasgen.data import load_clean_images, make_restoration_dataset


@pytest.fixture(scope="module")
def clean():
    return np.random.default_rng(0).random((5, 40, 48)).astype("float32")


def _first(dataset):
    return tf.nest.map_structure(np.asarray, next(iter(dataset)))


def test_gaussian_pairs_shapes_ranges_and_noise_level(clean):
    dataset = make_restoration_dataset(
        clean,
        sigma_range=(0.05, 0.2),
        patch_size=32,
        batch_size=4,
        seed=0,
        with_noise_level=True,
    )
    (degraded, sigma), target = _first(dataset)
    assert degraded.shape == target.shape == (4, 32, 32, 1)
    assert sigma.shape == (4, 1)
    assert degraded.dtype == target.dtype == np.float32
    assert target.min() >= 0.0 and target.max() <= 1.0
    assert np.all((sigma >= 0.05) & (sigma <= 0.2))
    measured = (degraded - target).reshape(4, -1).std(axis=1)
    np.testing.assert_allclose(measured, sigma[:, 0], rtol=0.15)


def test_sigma_power_draws_more_small_sigmas_from_the_same_stream(clean):
    def sigmas(power):
        dataset = make_restoration_dataset(
            clean, sigma_range=(0.0, 0.2), sigma_power=power, patch_size=8, batch_size=200, seed=3,
            with_noise_level=True,
        )  # fmt: skip
        return _first(dataset)[0][1][:, 0]

    uniform, skewed = sigmas(1.0), sigmas(1.5)
    # same seed, same u: sigma = 0.2 * u ** power
    np.testing.assert_allclose(skewed, 0.2 * (uniform / 0.2) ** 1.5, rtol=1e-4, atol=1e-7)
    assert np.all((skewed >= 0.0) & (skewed <= 0.2))
    # P(sigma < 0.04) = 0.2 ** (1 / power): 0.2 uniform, 0.34 with 1.5
    assert (uniform < 0.04).mean() < 0.27 < (skewed < 0.04).mean()


def test_patches_are_crops_of_the_clean_images(clean):
    dataset = make_restoration_dataset(
        clean, patch_size=16, batch_size=2, seed=3, augment=False
    )
    _, target = _first(dataset)
    patch = target[0, ..., 0]
    found = any(
        np.array_equal(image[y : y + 16, x : x + 16], patch)
        for image in clean
        for y in range(40 - 15)
        for x in range(48 - 15)
    )
    assert found


def test_dataset_is_seeded(clean):
    def take(seed):
        dataset = make_restoration_dataset(
            clean, patch_size=16, batch_size=3, seed=seed
        )
        return [tf.nest.map_structure(np.asarray, b) for b in dataset.take(3)]

    first, again, other = take(7), take(7), take(8)
    for (a, b), (c, d) in zip(first, again):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert not np.array_equal(first[0][1], other[0][1])


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("repeat", [True, False])
def test_start_continues_the_stream_exactly(clean, shuffle, repeat):
    # 5 images x 2 patches: starts inside the first pass, at the second and
    # inside it; each gives the pairs the whole stream gives from there.
    kwargs = dict(
        patch_size=16, batch_size=1, seed=3, shuffle=shuffle, repeat=repeat,
        patches_per_image=2, with_noise_level=True,
    )
    whole = [_flat(b) for b in make_restoration_dataset(clean, **kwargs).take(24)]
    for start in (1, 9, 10, 13):
        rest = make_restoration_dataset(clean, start=start, **kwargs).take(24 - start)
        rest = [_flat(b) for b in rest]
        assert len(rest) == len(whole[start:]) == (24 - start if repeat else max(10 - start, 0))
        for a, b in zip(rest, whole[start:]):
            np.testing.assert_array_equal(a, b)
    assert not list(make_restoration_dataset(clean, start=10, **{**kwargs, "repeat": False}))
    with pytest.raises(ValueError, match="start"):
        make_restoration_dataset(clean, start=-1, **kwargs)


def _flat(batch):
    return np.concatenate([np.ravel(x) for x in tf.nest.flatten(batch)])


@pytest.mark.parametrize("degradation", ["blur", "inpaint", "jpeg", "downsample"])
def test_other_degradations(clean, degradation):
    dataset = make_restoration_dataset(
        clean, degradation=degradation, patch_size=24, batch_size=2, seed=1
    )
    degraded, target = _first(dataset)
    assert degraded.shape == target.shape == (2, 24, 24, 1)
    assert np.all(np.isfinite(degraded))
    assert np.abs(degraded - target).mean() > 1e-3
    if degradation == "inpaint":
        kept = degraded != 0
        np.testing.assert_array_equal(degraded[kept], target[kept])
    if degradation == "jpeg":
        assert degraded.min() >= 0.0 and degraded.max() <= 1.0


def test_callable_degradation_gets_a_seed(clean):
    def darken(patch, seed):
        return patch * tf.random.stateless_uniform(
            [], seed=seed, minval=0.2, maxval=0.5
        )

    degraded, target = _first(
        make_restoration_dataset(clean, degradation=darken, patch_size=16, seed=0)
    )
    ratio = degraded.sum(axis=(1, 2, 3)) / target.sum(axis=(1, 2, 3))
    assert np.all((ratio >= 0.2) & (ratio <= 0.5))


def test_finite_dataset_length_and_rgb_conversion(clean):
    dataset = make_restoration_dataset(
        clean,
        patch_size=16,
        batch_size=4,
        repeat=False,
        shuffle=False,
        patches_per_image=2,
        channels=3,
        seed=0,
    )
    batches = [tf.nest.map_structure(np.asarray, b) for b in dataset]
    assert sum(len(b[1]) for b in batches) == 10
    target = batches[0][1]
    assert target.shape[-1] == 3
    np.testing.assert_array_equal(target[..., 0], target[..., 2])


def test_folder_source_is_read_in_memory(tmp_path):
    rng = np.random.default_rng(0)
    for i, shape in enumerate([(20, 30, 1), (24, 24, 3)]):
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        tf.io.write_file(str(tmp_path / f"img{i}.png"), tf.io.encode_png(pixels))
    (tmp_path / "notes.txt").write_text("not an image")
    images = load_clean_images(tmp_path, channels=1)
    assert [a.shape for a in images] == [(20, 30, 1), (24, 24, 1)]
    assert all(a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1 for a in images)
    _, target = _first(
        make_restoration_dataset(tmp_path, patch_size=16, batch_size=4, seed=0)
    )
    assert target.shape == (4, 16, 16, 1)
    assert target.dtype == np.float32 and 0 <= target.min() and target.max() <= 1
    # Values are the 8-bit pixels / 255.
    np.testing.assert_allclose(target * 255, np.round(target * 255), atol=1e-3)


def test_folder_errors(tmp_path):
    with pytest.raises(ValueError, match=r"No image files .*empty"):
        (tmp_path / "empty").mkdir()
        make_restoration_dataset(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="missing"):
        make_restoration_dataset(tmp_path / "missing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"Cannot decode image file .*x\.png"):
        load_clean_images(tmp_path / "bad")
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        make_restoration_dataset(tmp_path / "bad", channels=4)


@pytest.mark.parametrize(
    "source, kwargs, match",
    [
        (
            np.zeros((2, 20, 20)),
            {"patch_size": 32},
            r"patch_size must be at most .*=\(20, 20\)",
        ),
        (
            np.zeros((2, 20, 20)),
            {"degradation": "sharpen"},
            "degradation must be one of",
        ),
        (
            np.zeros((2, 20, 20)),
            {"sigma_range": (0.3, 0.1)},
            "sigma_range must be a pair",
        ),
        (np.zeros((2, 20, 20)), {"batch_size": 0}, "batch_size must be >= 1"),
        (np.zeros((2, 20, 20)), {"sigma_power": 0}, r"sigma_power must be > 0\. Received: sigma_power=0"),
        (np.zeros((2, 20, 20)), {"sigma_power": float("nan")}, "sigma_power must be finite"),
        (
            np.zeros((2, 20, 20)),
            {"degradation": "blur", "with_noise_level": True},
            "needs degradation",
        ),
        (
            np.zeros((2, 20, 20)),
            {"patch_size": 16, "degradation": "blur", "blur_std_range": (1, 3)},
            "PSF radius",
        ),
        (
            np.zeros((2, 20, 20)),
            {"degradation": "jpeg", "jpeg_quality_range": (5, 101)},
            "jpeg_quality_range",
        ),
        (np.zeros((2, 20, 20), np.uint8), {}, "float array"),
        (np.full((2, 20, 20), 2.0), {}, r"in \[0, 1\]"),
        (  # NaN named as such (the min / max of the other values looked valid)
            np.where(np.eye(20, dtype=bool), np.nan, 0.5)[None].repeat(2, 0),
            {},
            r"source\[0\] values must be finite \(no NaN or inf\)\. Received: 20 non-finite value\(s\)",
        ),
        (np.zeros((20, 20)), {}, r"shape \(N, H, W\)"),
        (np.zeros((2, 20, 20, 2)), {}, "1 or 3 channels"),
        (np.zeros((2, 20, 20)), {"channels": 2}, "channels must be 1 or 3"),
    ],
)
def test_invalid_arguments_raise(source, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_restoration_dataset(source, **{"patch_size": 16, **kwargs})


def test_bad_types_raise():
    with pytest.raises(TypeError, match="augment must be a bool"):
        make_restoration_dataset(np.zeros((1, 8, 8)), patch_size=8, augment="yes")
    with pytest.raises(TypeError, match="source must be a folder path"):
        make_restoration_dataset(42)
