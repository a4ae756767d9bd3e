"""Reliability of GAN / VAE as a demanding Keras user uses them (third audit).

``predict`` / ``predict_on_batch`` check their batches as ``fit`` does,
sample weights are refused instead of ignored, and Keras callbacks and
``evaluate`` work or fail clearly. Tiny models, fast.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen.models import build_decoder, build_discriminator, build_encoder, build_generator
from kerasgen.trainers import GAN, VAE

LATENT = 4
SHAPE = (8, 8, 1)


def _gan(num_classes=None, **kwargs):
    generator = build_generator(
        latent_dim=LATENT, image_shape=SHAPE, base_filters=4, num_classes=num_classes
    )
    discriminator = build_discriminator(
        image_shape=SHAPE, base_filters=4, num_classes=num_classes
    )
    return GAN(generator, discriminator, seed=0, **kwargs)


def _vae(**kwargs):
    encoder = build_encoder(SHAPE, latent_dim=2, base_filters=2, seed=0)
    return VAE(encoder, build_decoder(2, SHAPE, base_filters=2), **kwargs)


def _z(n=4):
    return np.random.default_rng(0).normal(size=(n, LATENT)).astype("float32")


def _images(n=4, low=0.0, high=1.0):
    return np.random.default_rng(1).uniform(low, high, (n, *SHAPE)).astype("float32")


# ------------------------------------------------------------------ predict


@pytest.mark.parametrize("labels", [[0, 1, 3, 2], [0, -1, 2, 2], [0.0, 1.0, 2.5, 1.0]])
def test_conditional_gan_predict_refuses_labels_that_are_not_class_ids(labels):
    # Out-of-range ids reached the Embedding: an InvalidArgumentError from a
    # gather on CPU, silently zero embeddings on a GPU; 2.5 was truncated.
    # The error names the labels received (the check in predict's graph can not).
    gan = _gan(num_classes=3)
    received = {3: r"labels in \[0, 3\]", -1: r"labels in \[-1, 2\]", 2.5: "the value 2.5"}
    received = received[next(label for label in labels if label not in (0, 1, 2))]
    message = r"labels must be class ids \(integers in \[0, num_classes=3\)\).*Received: .*"
    with pytest.raises(ValueError, match=r"^GAN.predict: " + message + received):
        gan.predict([_z(), np.array(labels)], verbose=0)
    with pytest.raises(ValueError, match=r"^GAN.predict_on_batch: " + message + received):
        gan.predict_on_batch([_z(), np.array(labels)])
    dataset = tf.data.Dataset.from_tensor_slices((_z(), np.array(labels))).batch(4)
    with pytest.raises(ValueError, match=r"GAN.predict: .*not class ids .*num_classes=3"):
        gan.predict(dataset, verbose=0)  # checked in the graph
    assert gan.predict([_z(), np.array([0, 1, 2, 2])], verbose=0).shape == (4, *SHAPE)


def test_gan_predict_refuses_non_finite_latents_and_wrong_widths():
    gan = _gan()
    z = _z()
    z[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"GAN.predict: NaN or inf .*on_nonfinite='raise'"):
        gan.predict(z, verbose=0)  # returned NaN images silently
    with pytest.raises(ValueError, match=r"latent vectors of shape \(None, 4\) expected. Received: \(4, 5\)"):
        gan.predict(np.zeros((4, 5), "float32"), verbose=0)
    skipping = _gan(on_nonfinite="skip")
    with pytest.warns(RuntimeWarning, match="GAN.predict: NaN or inf"):
        images = skipping.predict(z, verbose=0)
    assert np.isnan(images[1]).all() and np.isfinite(images[[0, 2, 3]]).all()


def test_conditional_gan_predict_accepts_both_label_shapes_one_after_the_other():
    # After (n,) labels, (n, 1) labels retraced the step with an unknown
    # rank: "as_list() is not defined on an unknown TensorShape".
    gan = _gan(num_classes=3)
    first = gan.predict([_z(), np.array([0, 1, 2, 2])], verbose=0)
    second = gan.predict([_z(), np.array([[0], [1], [2], [2]])], verbose=0)
    np.testing.assert_allclose(first, second, atol=1e-6)
    with pytest.raises(ValueError, match="one-hot labels pass np.argmax"):
        gan.predict([_z(), np.eye(3, dtype="int32")[[0, 1, 2, 2]]], verbose=0)
    # A dataset of (z, labels) tuples, as fit takes (images, labels).
    data = tf.data.Dataset.from_tensor_slices((_z(), np.array([0, 1, 2, 2]))).batch(2)
    np.testing.assert_allclose(gan.predict(data, verbose=0), first, atol=1e-6)


@pytest.mark.slow
def test_conditional_gan_fit_accepts_both_label_shapes_one_after_the_other():
    gan = _gan(num_classes=3)
    gan.compile()
    images = _images(low=-1.0)
    gan.fit(images, np.array([0, 1, 2, 2]), batch_size=4, verbose=0)
    gan.fit(images, np.array([[0], [1], [2], [2]]), batch_size=4, verbose=0)
    gan.evaluate(images, np.array([0, 1, 2, 2]), batch_size=4, verbose=0)
    gan.evaluate(images, np.array([[0], [1], [2], [2]]), batch_size=4, verbose=0)


def test_vae_predict_checks_its_images_like_evaluate():
    vae = _vae()
    images = _images()
    assert vae.predict(images, verbose=0).shape == images.shape
    with pytest.raises(ValueError, match=r"VAE.predict: a batch has values outside \[0, 1\]"):
        vae.predict(images * 255, verbose=0)  # reconstructed silently
    with pytest.raises(ValueError, match=r"VAE.predict: a batch has values outside"):
        vae.predict((images * 255).astype("uint8"), verbose=0)
    with pytest.raises(ValueError, match=r"VAE.predict: a batch has values outside"):
        vae.predict_on_batch(images * 2 - 1)
    nan = images.copy()
    nan[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"VAE.predict: NaN or inf"):
        vae.predict(nan, verbose=0)  # gave 0.5 everywhere, silently
    with pytest.raises(ValueError, match=r"images of shape \(None, 8, 8, 1\) expected.*channel axis"):
        vae.predict(images[..., 0], verbose=0)  # "as_list() is not defined ..."
    wide = _vae(likelihood="gaussian", data_range=(0.0, 255.0))
    assert wide.predict(images * 255, verbose=0).shape == images.shape


def test_predict_checks_batches_under_jit_compile_and_steps_per_execution():
    for kwargs in ({"jit_compile": True}, {"steps_per_execution": 2}):
        gan = _gan(num_classes=3)
        gan.compile(**kwargs)
        bad = tf.data.Dataset.from_tensor_slices((_z(), np.array([0, 1, 2, 5]))).batch(2)
        with pytest.raises(ValueError, match="not class ids"):  # the check in the graph
            gan.predict(bad, verbose=0)
        vae = _vae()
        vae.compile(**kwargs)
        with pytest.raises(ValueError, match="values outside"):
            vae.predict(_images() * 255, batch_size=2, verbose=0)


# ---------------------------------------------------------- sample weights


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_sample_and_class_weights_are_refused_not_ignored(kind):
    model = _gan(num_classes=3) if kind == "gan" else _vae()
    model.compile()
    images = _images(low=-1.0 if kind == "gan" else 0.0)
    labels = np.array([0, 1, 2, 2])
    name = type(model).__name__
    with pytest.raises(ValueError, match=rf"{name}.fit: sample weights are not supported.*sample_weight of type"):
        model.fit(images, labels, sample_weight=np.arange(4.0), verbose=0)
    with pytest.raises(ValueError, match=rf"{name}.fit: .*Received: class_weight of type dict"):
        model.fit(images, labels, class_weight={0: 1.0, 1: 2.0, 2: 1.0}, verbose=0)
    with pytest.raises(ValueError, match=rf"{name}.evaluate: sample weights are not supported"):
        model.evaluate(images, labels, sample_weight=np.arange(4.0), verbose=0)
    weighted = tf.data.Dataset.from_tensor_slices((images, labels, np.arange(4.0))).batch(2)
    with pytest.raises(ValueError, match=r"Received: batches of \(x, y, sample_weight\)"):
        model.fit(weighted, verbose=0)


# ------------------------------------------------------ callbacks, evaluate


@pytest.mark.parametrize(
    "callback",
    [
        lambda: keras.callbacks.ReduceLROnPlateau("loss", patience=0),
        lambda: keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr),
    ],
)
def test_gan_fit_refuses_learning_rate_callbacks_of_one_optimizer(callback):
    # Before: AttributeError "'NoneType' object has no attribute
    # 'learning_rate'" (or "Optimizer must have a learning_rate") after the
    # first epoch's updates.
    gan = _gan()
    gan.compile()
    weights = [w.copy() for w in gan.get_weights()]
    with pytest.raises(ValueError, match=r"GAN.fit: .* a GAN has two optimizers"):
        gan.fit(_images(low=-1.0), epochs=2, verbose=0, callbacks=[callback()])
    for before, after in zip(weights, gan.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_gan_metrics_names_match_the_values_of_evaluate():
    gan = _gan()
    gan.compile(loss="wgan_gp")
    values = gan.evaluate(_images(low=-1.0), verbose=0)
    # zip(metrics_names, values) lost "loss" (names lacked it).
    assert gan.metrics_names == ["d_loss", "g_loss", "gradient_penalty", "loss"]
    named = dict(zip(gan.metrics_names, values))
    assert named["loss"] == pytest.approx(named["d_loss"] + named["g_loss"])


# ------------------------------------------------------------------- config


@pytest.mark.parametrize("kind", ["gan", "conditional", "vae"])
def test_from_config_can_be_called_twice_on_one_config(kind):
    # Deserialising a functional sub-model emptied its config in place: a
    # second from_config of the same dict raised "could not be deserialized".
    model = {"gan": _gan, "conditional": lambda: _gan(num_classes=3), "vae": _vae}[kind]()
    config = model.get_config()
    first = type(model).from_config(config)
    second = type(model).from_config(config)
    assert first.get_config() == second.get_config() == model.get_config()


# ------------------------------------------------------------------- export


def _serve(model, tmp_path, name):
    from kerasgen.export import export_for_serving

    return tf.saved_model.load(export_for_serving(model, str(tmp_path), name=name))


def test_exported_generators_refuse_non_finite_latents(tmp_path):
    z = _z(3)
    z[0, 0] = np.nan
    served = _serve(_gan(), tmp_path, "g").signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="latent must not contain NaN"):
        served(latent=tf.constant(z))  # NaN images, silently
    conditional = _serve(_gan(num_classes=3), tmp_path, "c").signatures["serving_default"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="latent must not contain NaN"):
        conditional(latent=tf.constant(z), labels=tf.constant([0, 1, 2]))


def test_exported_vae_refuses_what_encode_and_decode_refuse(tmp_path):
    vae = _vae()
    served = _serve(vae, tmp_path, "v")
    images = _images(3)
    np.testing.assert_allclose(
        served.signatures["encode"](images=tf.constant(images))["z_mean"].numpy(),
        vae.encode(images)[0],
        atol=1e-6,
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"encode refuses images with values outside \[0, 1\]"):
        served.signatures["encode"](images=tf.constant(images * 255))  # encoded silently
    nan = images.copy()
    nan[0, 0, 0, 0] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="images must not contain NaN"):
        served.signatures["encode"](images=tf.constant(nan))  # z_mean 0, silently
    with pytest.raises(tf.errors.InvalidArgumentError, match="latent must not contain NaN"):
        served.signatures["serving_default"](latent=tf.constant([[np.nan, 0.0]]))  # grey 0.5
    gaussian = _serve(_vae(likelihood="gaussian"), tmp_path, "g")
    gaussian.signatures["encode"](images=tf.constant(images + 0.9))  # within its range


@pytest.mark.parametrize("kind", ["gan", "conditional", "vae"])
def test_keras_export_of_a_trained_model_that_was_never_called(kind, tmp_path):
    # fit() runs the sub-models, never the trainer itself: model.export()
    # refused with "The model provided has never called".
    model = {"gan": _gan, "conditional": lambda: _gan(num_classes=3), "vae": _vae}[kind]()
    model.compile()
    images = _images(low=-1.0 if kind != "vae" else 0.0)
    model.fit(images, np.array([0, 1, 2, 2]), batch_size=4, verbose=0)
    model.export(str(tmp_path / "model"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "model"))
    if kind == "vae":
        inputs = images
    elif kind == "gan":
        inputs = _z()
    else:
        inputs = [_z(), np.array([[0], [1], [2], [2]], "int32")]
    np.testing.assert_allclose(
        served.serve(inputs).numpy(), model.predict(inputs, verbose=0), atol=1e-6
    )


def test_conditional_gan_call_and_keras_export_refuse_labels_out_of_range(tmp_path):
    # gan([z, labels]) and Keras' gan.export ran the Embedding on any id: an
    # opaque gather error on CPU, zero embeddings (wrong images) on a GPU.
    gan = _gan(num_classes=3)
    z = _z(3)
    assert gan([z, np.array([[0], [1], [2]])]).shape == (3, *SHAPE)
    for labels in ([[0], [1], [3]], [[0], [-1], [2]], [[0.0], [1.5], [2.0]]):
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"class ids: integers in \[0, num_classes=3\)"):
            gan([z, np.array(labels)])
    gan.export(str(tmp_path / "gan"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "gan"))
    with pytest.raises(tf.errors.InvalidArgumentError, match="class ids"):
        served.serve([z, np.array([[0], [1], [7]], "int32")])


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_save_to_legacy_h5_is_refused_before_anything_is_written(kind, tmp_path):
    # GAN: AttributeError "'NoneType' object has no attribute 'weights'";
    # VAE: a file load_model could not read back ("Unknown layer: 'VAE'").
    model = _gan() if kind == "gan" else _vae()
    model.compile()
    with pytest.raises(ValueError, match=r"legacy HDF5 format .* save to a .keras file"):
        model.save(str(tmp_path / "model.h5"))
    assert not (tmp_path / "model.h5").exists()
    model.save(str(tmp_path / "model.keras"))
    assert type(keras.models.load_model(str(tmp_path / "model.keras"))) is type(model)
