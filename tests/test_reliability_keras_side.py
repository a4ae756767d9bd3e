"""Reliability of the Keras side: tiled restore, plug-and-play, trainers, export, metrics.

Each test reproduces a failure found by an audit (tiny models, fast).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen import plug_and_play as pnp
from kerasgen.inference import restore
from kerasgen.layers import Sampling
from kerasgen.metrics import psnr, ssim
from kerasgen.models import build_unet
from kerasgen.trainers import GAN, VAE

SIDE = 8


def _image(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


def _identity(image, sigma):
    return image


# ------------------------------------------------------------------ restore


def test_restore_refuses_tiles_that_cannot_overlap_on_the_size_multiple_grid():
    # depth 4: tile corners on multiples of 16. tile=16 rounded to 16 could
    # not overlap by 7 on that grid: neighbouring tiles abutted, their blending
    # weights were 0 at the seam and the output had NaN.
    model = build_unet(depth=4, base_filters=2)
    image = _image((40, 40))
    with pytest.raises(ValueError, match="cannot overlap by 7.*Received: tile=16, overlap=7"):
        restore(image, model, tile=16, overlap=7)
    assert np.isfinite(restore(image, model, tile=32, overlap=7)).all()
    # A tile that covers the image is one tile: nothing to overlap.
    assert np.isfinite(restore(_image((12, 12)), model, tile=16, overlap=7)).all()


def test_restore_fixed_size_model_default_overlap_fits_the_size_multiple_grid():
    # Fixed 16 x 16 input, size multiple 16: the default overlap (S - 1) // 2
    # = 7 could not be met, and restore(image, model) returned NaN.
    model = build_unet((16, 16, 1), depth=4, base_filters=2)
    restored = restore(_image((40, 40)), model)
    assert restored.shape == (40, 40)
    assert np.isfinite(restored).all()


# ----------------------------------------------------------- plug-and-play


@pytest.mark.parametrize("solver", ["inpaint", "super_resolve"])
def test_plug_and_play_init_is_range_checked_like_the_image(solver):
    image = _image((8, 8))
    if solver == "inpaint":
        call = lambda init: pnp.inpaint(image, image > 0.5, model=_identity, iterations=1, init=init)  # noqa: E731
        init = image
    else:
        call = lambda init: pnp.super_resolve(image, 2, model=_identity, iterations=1, init=init)  # noqa: E731
        init = np.kron(image, np.ones((2, 2), "float32"))
    call(init)
    with pytest.raises(ValueError, match="init has values far outside"):
        call(init * 255)  # a 0-255 first estimate silently changed the result


def test_inpaint_with_nothing_missing_still_checks_its_arguments():
    image = _image((8, 8))
    nothing = np.zeros((8, 8), bool)
    np.testing.assert_array_equal(pnp.inpaint(image, nothing, model=_identity), image)
    with pytest.raises(TypeError, match="model must be None"):
        pnp.inpaint(image, nothing, model="unet_denoise_gray")
    with pytest.raises(TypeError, match="self_ensemble must be a bool"):
        pnp.inpaint(image, nothing, model=_identity, self_ensemble="x8")


@pytest.mark.parametrize("solver", ["deblur", "super_resolve", "inpaint"])
def test_plug_and_play_clip_must_be_a_bool(solver):
    image = _image((8, 8))
    calls = {
        "deblur": lambda: pnp.deblur(image, np.ones((1, 1)), sigma=0.01, model=_identity, iterations=1, clip="no"),
        "super_resolve": lambda: pnp.super_resolve(image, 2, model=_identity, iterations=1, clip="no"),
        "inpaint": lambda: pnp.inpaint(image, image > 0.5, model=_identity, iterations=1, clip="no"),
    }
    with pytest.raises(TypeError, match="clip must be a bool. Received: clip='no'"):
        calls[solver]()


# ----------------------------------------------------------------- trainers


def _vae():
    keras.utils.set_random_seed(0)
    x = keras.Input((SIDE, SIDE, 1))
    h = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(x))
    z_mean, z_log_var = keras.layers.Dense(2)(h), keras.layers.Dense(2)(h)
    encoder = keras.Model(x, [z_mean, z_log_var, Sampling(seed=0)([z_mean, z_log_var])])
    z = keras.Input((2,))
    h = keras.layers.Dense(SIDE * SIDE, activation="sigmoid")(z)
    decoder = keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(h))
    return VAE(encoder, decoder)


def _gan():
    keras.utils.set_random_seed(0)
    z = keras.Input((4,))
    h = keras.layers.Dense(SIDE * SIDE, activation="tanh")(z)
    generator = keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(h))
    x = keras.Input((SIDE, SIDE, 1))
    discriminator = keras.Model(x, keras.layers.Dense(1)(keras.layers.Flatten()(x)))
    return GAN(generator, discriminator, seed=0)


@pytest.mark.parametrize("kind", ["vae", "gan"])
@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_trainers_refuse_dict_batches_with_a_clear_error(kind, method):
    trainer = _vae() if kind == "vae" else _gan()
    trainer.compile()
    images = _image((4, SIDE, SIDE, 1)) * (1 if kind == "vae" else 2) - (0 if kind == "vae" else 1)
    data = tf.data.Dataset.from_tensor_slices({"images": images}).batch(2)
    # Was: AttributeError: 'dict' object has no attribute 'shape'.
    with pytest.raises(TypeError, match="dicts .* not unpacked. Received: images of type dict with keys \\['images'\\]"):
        getattr(trainer, method)(data, verbose=0)


def test_vae_encode_decode_and_log_likelihood_of_no_images():
    vae = _vae()
    z_mean, z_log_var = vae.encode(np.zeros((0, SIDE, SIDE, 1), "float32"))
    assert z_mean.shape == z_log_var.shape == (0, 2)
    assert vae.decode(np.zeros((0, 2), "float32")).shape == (0, SIDE, SIDE, 1)
    assert vae.log_likelihood(np.zeros((0, SIDE, SIDE, 1), "float32"), 2).shape == (0,)


def test_vae_decode_refuses_non_finite_latents():
    vae = _vae()
    with pytest.raises(ValueError, match="z must be finite. Received: 1 NaN or inf"):
        vae.decode(np.array([[0.0, np.nan]], "float32"))  # decoded to NaN images before


def test_vae_encode_refuses_complex_and_string_images():
    vae = _vae()
    images = _image((2, SIDE, SIDE, 1))
    with pytest.raises(ValueError, match="images of dtype complex128"):
        vae.encode(images.astype(complex))  # imaginary part dropped with a warning before
    with pytest.raises(ValueError, match="images of dtype <U"):
        vae.encode(np.full((2, SIDE, SIDE, 1), "a"))


# ------------------------------------------------------------------- export


def _conditional_generator(num_classes=3):
    keras.utils.set_random_seed(0)
    z = keras.Input((4,))
    label = keras.Input((1,), dtype="int32")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(num_classes, 4)(label))
    h = keras.layers.Dense(SIDE * SIDE, activation="tanh")(keras.layers.Concatenate()([z, embedded]))
    return keras.Model([z, label], keras.layers.Reshape((SIDE, SIDE, 1))(h))


def test_exported_conditional_generator_refuses_labels_out_of_range(tmp_path):
    from kerasgen.export import export_for_serving

    path = export_for_serving(_conditional_generator(), tmp_path, name="cgen")
    signatures = tf.saved_model.load(path).signatures
    seed = tf.constant(1, tf.int64)
    assert signatures["generate"](labels=tf.constant([0, 2]), seed=seed)["images"].shape == (2, SIDE, SIDE, 1)
    # On a GPU the embedding lookup turns a bad id into a zero vector, silently.
    for labels in ([3, 0], [-1, 0]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="class ids: integers in \\[0, num_classes=3\\)"):
            signatures["generate"](labels=tf.constant(labels), seed=seed)
        with pytest.raises(tf.errors.InvalidArgumentError, match="class ids"):
            signatures["serving_default"](labels=tf.constant(labels), latent=tf.zeros((2, 4)))


# ------------------------------------------------------------------ metrics


@pytest.mark.parametrize("metric", [psnr, ssim])
def test_metrics_refuse_images_of_different_shapes(metric):
    images = _image((2, 16, 16, 1))
    # tf.image broadcast one reference over the batch.
    with pytest.raises(ValueError, match="same shape. Received: y_true.shape=\\(1, 16, 16, 1\\)"):
        metric(images[:1], images)
