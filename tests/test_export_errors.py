"""export_for_serving: argument errors, default names, overwrite, atomic writes."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from kerasgen.export import export_for_serving, serving_signatures
from kerasgen.inference import restore
from kerasgen.models import build_encoder, build_generator, build_unet


@pytest.fixture(scope="module")
def unet():
    return build_unet(depth=1, base_filters=2)


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_rejects_non_models(tmp_path):
    with pytest.raises(TypeError, match="must be a keras.Model.*Received: model of type str"):
        export_for_serving("generator.keras", tmp_path)
    assert _listing(tmp_path) == []


@pytest.mark.parametrize(
    "model",
    [
        keras.Sequential([keras.Input((4,)), layers.Dense(3)], name="dense"),
        build_encoder((8, 8, 1), latent_dim=2, base_filters=2),
    ],
    ids=["dense", "vae_encoder"],
)
def test_rejects_unsupported_models(tmp_path, model):
    with pytest.raises(ValueError, match=r"Cannot export this model for serving\. Supported: a kerasgen\.GAN"):
        export_for_serving(model, tmp_path)
    assert _listing(tmp_path) == []


def test_rejects_a_restorer_that_is_not_fully_convolutional(tmp_path):
    inputs = keras.Input((8, 8, 1))
    x = layers.Dense(1)(layers.Flatten()(inputs))
    outputs = layers.Reshape((8, 8, 1))(layers.Dense(64)(x))
    model = keras.Model(inputs, outputs, name="dense_restorer")
    with pytest.raises(ValueError, match="Could not run the .serving_default. signature of this restorer"):
        export_for_serving(model, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "version, error", [(0, ValueError), (-1, ValueError), (1.0, TypeError), ("1", TypeError), (True, TypeError), (None, TypeError)]
)
def test_rejects_invalid_versions(tmp_path, unet, version, error):
    # The validation layer's convention: TypeError for a wrong type, ValueError for a bad value.
    with pytest.raises(error, match=r"version must be an int >= 1 .*Received: version="):
        export_for_serving(unet, tmp_path, version=version)


@pytest.mark.parametrize("name", ["", "../up", "a/b", ".hidden", 3])
def test_rejects_invalid_names(tmp_path, unet, name):
    with pytest.raises(ValueError, match="name must be a model name"):
        export_for_serving(unet, tmp_path, name=name)


def test_rejects_bad_flags_and_export_dir(tmp_path, unet):
    with pytest.raises(TypeError, match="overwrite must be a bool. Received: overwrite=1"):
        export_for_serving(unet, tmp_path, overwrite=1)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="export_dir must be a folder"):
        export_for_serving(unet, tmp_path / "file")
    with pytest.raises(ValueError, match="export_dir must be a non-empty path"):
        export_for_serving(unet, "")


def test_default_names_and_existing_version(tmp_path, unet):
    generator = build_generator(4, (8, 8, 1), base_filters=2)
    assert export_for_serving(generator, tmp_path) == str(tmp_path / "generator" / "1")
    path = export_for_serving(unet, tmp_path, version=3, uint8_signature=False)
    assert path == str(tmp_path / "unet" / "3")
    assert sorted(serving_signatures(path)) == ["serving_default"]
    with pytest.raises(FileExistsError, match=r"unet/3' exists already\. Pass overwrite=True"):
        export_for_serving(unet, tmp_path, version=3)


def test_overwrite_replaces_the_version(tmp_path, unet):
    other = build_unet(depth=1, base_filters=2, name="other")
    first = export_for_serving(unet, tmp_path, name="den")
    (tmp_path / "den" / "1" / "marker").write_text("old")
    assert export_for_serving(other, tmp_path, name="den", overwrite=True) == first
    assert not (tmp_path / "den" / "1" / "marker").exists()
    assert sorted(p.name for p in (tmp_path / "den").iterdir()) == ["1"]
    image = np.random.default_rng(0).random((1, 5, 6, 1), dtype="float32")
    served = tf.saved_model.load(first).signatures["serving_default"](images=tf.constant(image))
    expected = np.clip(np.asarray(other(np.pad(image, ((0, 0), (0, 1), (0, 0), (0, 0)), "reflect")))[:, :5], 0, 1)
    np.testing.assert_allclose(served["restored"].numpy(), expected, atol=1e-5)


@pytest.mark.slow
def test_failed_write_leaves_nothing_behind(tmp_path, unet, monkeypatch):
    archive_class = type(keras.export.ExportArchive())
    original = archive_class.write_out

    def failing_write_out(self, filepath, *args, **kwargs):
        original(self, filepath, *args, **kwargs)  # a complete temp folder...
        raise OSError("disk full")  # ...then a failure before the rename

    monkeypatch.setattr(archive_class, "write_out", failing_write_out)
    with pytest.raises(OSError, match="disk full"):
        export_for_serving(unet, tmp_path / "models")
    assert _listing(tmp_path) == []
    # A failed overwrite keeps the previous version.
    monkeypatch.setattr(archive_class, "write_out", original)
    export_for_serving(unet, tmp_path, name="kept")
    before = _listing(tmp_path)
    monkeypatch.setattr(archive_class, "write_out", failing_write_out)
    with pytest.raises(OSError, match="disk full"):
        export_for_serving(unet, tmp_path, name="kept", overwrite=True)
    assert _listing(tmp_path) == before


def test_failed_rename_puts_the_previous_version_back(tmp_path, unet, monkeypatch):
    export_for_serving(unet, tmp_path, name="kept")
    (tmp_path / "kept" / "1" / "marker").write_text("old")
    before = _listing(tmp_path)
    real_replace = __import__("os").replace

    def replace(src, dst):
        if ".tmp-" in str(src):
            raise OSError("rename failed")
        return real_replace(src, dst)

    monkeypatch.setattr("kerasgen.export.os.replace", replace)
    with pytest.raises(OSError, match="rename failed"):
        export_for_serving(unet, tmp_path, name="kept", overwrite=True)
    assert _listing(tmp_path) == before


@pytest.mark.slow
def test_fixed_size_unet_is_served_at_any_size(tmp_path):
    fixed = build_unet((16, 16, 1), depth=2, base_filters=2, noise_level_input=True)
    path = export_for_serving(fixed, tmp_path, uint8_signature=False)
    signature = serving_signatures(path)["serving_default"]
    assert signature["inputs"]["images"].shape.as_list() == [None, None, None, 1]
    dynamic = build_unet((None, None, 1), depth=2, base_filters=2, noise_level_input=True)
    dynamic.set_weights(fixed.get_weights())
    image = np.random.default_rng(1).random((13, 21), dtype="float32")
    served = tf.saved_model.load(path).signatures["serving_default"](
        images=tf.constant(image[None, ..., None]), noise_sigma=tf.constant([[0.1]])
    )
    expected = restore(image, dynamic, sigma=0.1)
    np.testing.assert_allclose(served["restored"].numpy()[0, ..., 0], expected, atol=1e-5)
