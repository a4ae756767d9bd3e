"""Tests for kerasgen.trainers.GAN on tiny sub-models and data."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen.trainers import GAN

LATENT = 4
SIDE = 8
NUM_CLASSES = 3


def make_generator(latent=LATENT):
    z = keras.Input((latent,))
    x = keras.layers.Dense(16, activation="relu")(z)
    x = keras.layers.Dense(SIDE * SIDE, activation="tanh")(x)
    return keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(x), name="generator")


def make_discriminator():
    x = keras.Input((SIDE, SIDE, 1))
    y = keras.layers.Flatten()(x)
    y = keras.layers.Dense(8, activation="relu")(y)
    return keras.Model(x, keras.layers.Dense(1)(y), name="discriminator")


def make_conditional_pair():
    z = keras.Input((LATENT,))
    label = keras.Input((1,), dtype="int32")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(NUM_CLASSES, 4)(label))
    x = keras.layers.Concatenate()([z, embedded])
    x = keras.layers.Dense(SIDE * SIDE, activation="tanh")(x)
    generator = keras.Model([z, label], keras.layers.Reshape((SIDE, SIDE, 1))(x))

    image = keras.Input((SIDE, SIDE, 1))
    d_label = keras.Input((1,), dtype="int32")
    d_embedded = keras.layers.Flatten()(keras.layers.Embedding(NUM_CLASSES, 4)(d_label))
    y = keras.layers.Concatenate()([keras.layers.Flatten()(image), d_embedded])
    discriminator = keras.Model([image, d_label], keras.layers.Dense(1)(y))
    return generator, discriminator


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (16, SIDE, SIDE, 1)).astype("float32")


@pytest.fixture
def labels():
    return (np.arange(16) % NUM_CLASSES).reshape(-1, 1).astype("int32")


def make_gan(seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    return GAN(make_generator(), make_discriminator(), seed=seed, **kwargs)


def weights_changed(before, after):
    return all(not np.allclose(b, a) for b, a in zip(before, after) if b.size > 1)


def assert_weights_equal(model_a, model_b, atol=1e-6):
    for a, b in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_allclose(a, b, atol=atol)


# ------------------------------------------------------------ training


@pytest.mark.parametrize(
    "loss, d_steps, expected_keys",
    [
        ("non_saturating", 1, {"d_loss", "g_loss", "loss"}),
        ("hinge", 1, {"d_loss", "g_loss", "loss"}),
        ("wgan_gp", 2, {"d_loss", "g_loss", "loss", "gradient_penalty"}),
    ],
)
def test_fit_trains_both_sub_models(images, loss, d_steps, expected_keys):
    gan = make_gan()
    gan.compile(loss=loss, d_steps=d_steps)
    g_before = gan.generator.get_weights()
    d_before = gan.discriminator.get_weights()
    history = gan.fit(images, batch_size=8, epochs=1, verbose=0)

    assert set(history.history) == expected_keys
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert weights_changed(g_before, gan.generator.get_weights())
    assert weights_changed(d_before, gan.discriminator.get_weights())
    # d_steps discriminator updates and one generator update per batch.
    assert int(gan.d_optimizer.iterations) == 2 * d_steps
    assert int(gan.g_optimizer.iterations) == 2


def test_default_optimizers_follow_the_papers():
    gan = make_gan()
    gan.compile()
    assert gan.d_optimizer is not gan.g_optimizer
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        assert np.isclose(float(opt.learning_rate), 2e-4) and opt.beta_1 == 0.5
    gan.compile(loss="wgan_gp")
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert np.isclose(float(opt.learning_rate), 1e-4)
        assert opt.beta_1 == 0.0 and opt.beta_2 == 0.9


def _constant_gan():
    """Generator outputs a constant 0.25 image; critic = mean pixel value."""
    generator = make_generator()
    generator.layers[-2].set_weights(
        [np.zeros((16, SIDE * SIDE), "float32"), np.full(SIDE * SIDE, np.arctanh(0.25), "float32")]
    )
    x = keras.Input((SIDE, SIDE, 1))
    y = keras.layers.Dense(1, use_bias=False)(keras.layers.Flatten()(x))
    discriminator = keras.Model(x, y)
    discriminator.set_weights([np.full((SIDE * SIDE, 1), 1.0 / (SIDE * SIDE), "float32")])
    gan = GAN(generator, discriminator, seed=0)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0), loss="hinge")
    return gan


def test_metrics_are_epoch_means_and_reset():
    gan = _constant_gan()
    first = np.full((4, SIDE, SIDE, 1), 0.5, "float32")  # D(real) = 0.5
    second = np.full((4, SIDE, SIDE, 1), -0.5, "float32")  # D(real) = -0.5
    data = np.concatenate([first, second])
    # hinge: relu(1 - D(real)) + relu(1 + D(fake)), D(fake) = 0.25
    batch_losses = [0.5 + 1.25, 1.5 + 1.25]
    history = gan.fit(data, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["d_loss"], [np.mean(batch_losses)] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["g_loss"], [-0.25, -0.25], rtol=1e-6)

    results = gan.evaluate(second, batch_size=4, verbose=0, return_dict=True)
    np.testing.assert_allclose(results["d_loss"], batch_losses[1], rtol=1e-6)
    gan.reset_metrics()
    assert all(float(m.result()) == 0.0 for m in gan.metrics)


def test_evaluate_and_validation_do_not_update_weights(images):
    gan = make_gan()
    gan.compile()
    before = gan.get_weights()
    results = gan.evaluate(images, batch_size=8, verbose=0, return_dict=True)
    assert set(results) == {"d_loss", "g_loss", "loss"}
    for b, a in zip(before, gan.get_weights()):
        np.testing.assert_array_equal(b, a)
    history = gan.fit(images, validation_data=(images,), batch_size=8, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "loss", "val_d_loss", "val_g_loss", "val_loss"}


def test_validation_does_not_change_the_training_run(images):
    plain, validated = make_gan(seed=2), make_gan(seed=2)
    for gan in (plain, validated):
        gan.compile()
    plain.fit(images[:8], batch_size=8, epochs=2, verbose=0)
    validated.fit(images[:8], validation_data=(images[8:],), batch_size=8, epochs=2, verbose=0)
    assert_weights_equal(plain, validated, atol=0)


def test_unconditional_gan_ignores_labels(images, labels):
    gan = make_gan()
    gan.compile()
    history = gan.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


def test_conditional_gan(images, labels):
    keras.utils.set_random_seed(0)
    generator, discriminator = make_conditional_pair()
    gan = GAN(generator, discriminator, seed=0)
    assert gan.conditional and gan.latent_dim == LATENT
    gan.compile(loss="wgan_gp")
    g_before = generator.get_weights()
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    history = gan.fit(dataset, epochs=1, shuffle=False, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "loss", "gradient_penalty"}
    assert weights_changed(g_before, generator.get_weights())

    out = gan.generate(3, seed=1, labels=np.array([0, 1, 2]))
    assert out.shape == (3, SIDE, SIDE, 1) and out.dtype == np.float32
    # The label changes the image for the same noise.
    same_noise = gan.generate(2, seed=1, labels=[0, 2])
    assert not np.allclose(same_noise[0], same_noise[1])
    np.testing.assert_allclose(same_noise[0], out[0], atol=1e-6)

    with pytest.raises(ValueError, match="labels are required for a conditional GAN"):
        gan.generate(2, seed=0)
    with pytest.raises(ValueError, match="labels must have num_images=2 rows"):
        gan.generate(2, seed=0, labels=[0, 1, 2])
    with pytest.raises(ValueError, match=r"conditional GAN trains on \(images, labels\)"):
        gan.fit(images, batch_size=8, epochs=1, verbose=0)


# ---------------------------------------------------------- generation


def test_call_and_generate(images):
    gan = make_gan()
    z = np.random.default_rng(1).normal(size=(2, LATENT)).astype("float32")
    out = gan(z)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_allclose(out, gan.generator(z), atol=1e-6)

    state = gan.seed_generator.state.numpy().copy()
    a = gan.generate(5, seed=3)
    b = gan.generate(5, seed=3)
    c = gan.generate(5, seed=4)
    assert a.shape == (5, SIDE, SIDE, 1) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.all(np.abs(a) <= 1.0)
    np.testing.assert_allclose(gan.generate(5, seed=3, batch_size=2), a, atol=1e-6)
    # generate() does not touch the training noise state.
    np.testing.assert_array_equal(state, gan.seed_generator.state.numpy())


def test_generate_validation():
    gan = make_gan()
    with pytest.raises(ValueError, match="num_images must be >= 1"):
        gan.generate(0)
    with pytest.raises(TypeError, match="seed must be an int or None"):
        gan.generate(2, seed=1.5)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        gan.generate(2, batch_size="8")
    with pytest.raises(ValueError, match="labels must be None for an unconditional GAN"):
        gan.generate(2, labels=[0, 1])


# ------------------------------------------------------------- saving


def test_save_load_restores_model_optimizers_and_noise(images, tmp_path):
    gan = make_gan(seed=5)
    gan.compile(loss="wgan_gp", d_steps=2)
    first, second = images[:8], images[8:]
    gan.fit(first, batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.models.load_model(path)

    assert isinstance(loaded, GAN) and loaded.compiled
    assert loaded.loss_type == "wgan_gp" and loaded.d_steps == 2
    z = np.random.default_rng(2).normal(size=(3, LATENT)).astype("float32")
    np.testing.assert_array_equal(gan(z), loaded(z))
    for name in ("d_optimizer", "g_optimizer"):
        original, restored = getattr(gan, name), getattr(loaded, name)
        assert int(restored.iterations) == int(original.iterations) > 0
        for a, b in zip(original.variables, restored.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    for name in ("seed_generator", "eval_seed_generator"):
        np.testing.assert_array_equal(
            getattr(gan, name).state.numpy(), getattr(loaded, name).state.numpy()
        )

    # One more step on each gives the same weights (same data, same noise).
    gan.fit(second, batch_size=8, epochs=1, verbose=0)
    loaded.fit(second, batch_size=8, epochs=1, verbose=0)
    assert_weights_equal(gan.generator, loaded.generator)
    assert_weights_equal(gan.discriminator, loaded.discriminator)


def test_config_round_trip():
    gan = make_gan(seed=3)
    clone = GAN.from_config(gan.get_config())
    assert clone.latent_dim == LATENT and clone.seed == 3 and not clone.conditional
    assert clone.get_compile_config() == {}


# ---------------------------------------------------- mixed precision


def _sgd_gan(lr=0.01):
    keras.utils.set_random_seed(0)
    gan = GAN(make_generator(), make_discriminator(), seed=0)
    gan.compile(keras.optimizers.SGD(lr), keras.optimizers.SGD(lr))
    return gan


def test_mixed_precision_wraps_both_optimizers_and_unscales(images):
    reference = _sgd_gan()
    initial = reference.get_weights()
    reference.fit(images[:8], batch_size=8, epochs=1, verbose=0)
    ref_delta = [a - b for a, b in zip(reference.get_weights(), initial)]

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = _sgd_gan()
        gan.set_weights(initial)
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
        history = gan.fit(images[:8], batch_size=8, epochs=1, verbose=0)
        out = gan.generate(2, seed=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")

    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert out.dtype == np.float32
    # Both loss scales were used on a finite step (not skipped).
    assert int(gan.d_optimizer.step_counter) == 1 and int(gan.g_optimizer.step_counter) == 1
    delta = [a - b for a, b in zip(gan.get_weights(), initial)]
    # Unscaled correctly: float16 updates match float32 ones (a missing
    # unscale would make them 2**15 times larger).
    for d, r in zip(delta, ref_delta):
        np.testing.assert_allclose(d, r, atol=2e-3 * max(1e-3, float(np.abs(r).max())) + 1e-5)
    assert any(np.abs(d).max() > 0 for d in delta)


# ------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"loss": "lsgan"},
            ValueError,
            r"loss must be one of \['non_saturating', 'hinge', 'wgan_gp'\]",
        ),
        ({"gp_weight": -1.0}, ValueError, "gp_weight must be >= 0"),
        ({"gp_weight": "10"}, TypeError, "gp_weight must be a float"),
        ({"d_steps": 0}, ValueError, "d_steps must be >= 1"),
        ({"d_steps": 1.5}, TypeError, "d_steps must be an int"),
        ({"label_smoothing": 1.0}, ValueError, r"label_smoothing must be < 1\. Received: label_smoothing=1\.0"),
        ({"loss": "hinge", "label_smoothing": 0.1}, ValueError, "label_smoothing only applies"),
        ({"metrics": ["mae"]}, ValueError, r"Received unsupported: \['metrics'\]"),
        ({"d_optimizer": 3}, TypeError, "d_optimizer must be a keras.optimizers.Optimizer"),
        ({"g_optimizer": "adamm"}, ValueError, "g_optimizer is not a known optimizer"),
        ({"auto_scale_loss": 1}, TypeError, "auto_scale_loss must be a bool"),
    ],
)
def test_compile_validation(kwargs, error, match):
    gan = make_gan()
    with pytest.raises(error, match=match):
        gan.compile(**kwargs)


def test_shared_optimizer_instance_is_rejected():
    gan = make_gan()
    optimizer = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="must be different optimizer instances"):
        gan.compile(optimizer, optimizer)


def test_constructor_validation():
    generator, discriminator = make_generator(), make_discriminator()
    assert GAN(generator, discriminator).latent_dim == LATENT
    with pytest.raises(ValueError, match="latent_dim=5 does not match"):
        GAN(generator, discriminator, latent_dim=5)
    with pytest.raises(ValueError, match="latent_dim must be >= 1"):
        GAN(generator, discriminator, latent_dim=0)
    with pytest.raises(TypeError, match="generator must be a keras.Model"):
        GAN(keras.layers.Dense(3), discriminator)
    with pytest.raises(TypeError, match="seed must be an int or None"):
        GAN(generator, discriminator, seed="0")
    unbuilt = keras.Sequential([keras.layers.Dense(SIDE * SIDE)])
    with pytest.raises(ValueError, match="generator must be built"):
        GAN(unbuilt, discriminator, latent_dim=LATENT)
    cond_generator, cond_discriminator = make_conditional_pair()
    with pytest.raises(ValueError, match=r"discriminator must take \[images, labels\]"):
        GAN(cond_generator, discriminator)
    with pytest.raises(ValueError, match="discriminator must take images"):
        GAN(generator, cond_discriminator)


# ------------------------------------------------- labels and batch shapes


def _conditional_gan():
    keras.utils.set_random_seed(0)
    gan = GAN(*make_conditional_pair(), seed=0)
    gan.compile()
    return gan


def test_generate_refuses_labels_that_are_not_class_ids():
    gan = _conditional_gan()
    # Negative ids used to wrap around (-1 drew class 2) and floats to be
    # truncated (2.7 drew class 2); ids >= num_classes failed inside TF.
    for labels, match in (
        ([-1, 0], r"class ids \(integers in \[0, num_classes=3\)\)\. Received: labels in \[-1, 0\]"),
        ([0, 3], r"Received: labels in \[0, 3\]"),
        ([2.7, 0.0], r"a float label would be truncated\. Received: labels with the value 2\.7"),
        (np.eye(3)[:2], r"for one-hot labels pass np\.argmax\(labels, axis=-1\)"),
    ):
        with pytest.raises(ValueError, match=match):
            gan.generate(2, seed=0, labels=labels)
    # Integral floats and (n,)/(n, 1) ids are accepted.
    np.testing.assert_array_equal(
        gan.generate(2, seed=0, labels=[2.0, 0.0]), gan.generate(2, seed=0, labels=[[2], [0]])
    )


@pytest.mark.parametrize("bad", [-1, NUM_CLASSES, 0.5])
def test_fit_and_evaluate_refuse_labels_that_are_not_class_ids(images, labels, bad):
    gan = _conditional_gan()
    before = gan.get_weights()
    wrong = labels.astype("float32" if bad == 0.5 else "int32")
    wrong[3] = bad
    with pytest.raises(ValueError, match=r"GAN\.fit: a training batch has labels that are not class ids \(integers in \[0, num_classes=3\)\) \(training step 1 .*update was not applied"):
        gan.fit(images, wrong, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for b, a in zip(before, gan.get_weights()):
        np.testing.assert_array_equal(b, a)
    with pytest.raises(ValueError, match=r"GAN\.evaluate: a batch of evaluate .* has labels that are not class ids"):
        gan.evaluate(images, wrong, batch_size=8, verbose=0)
    # Good labels still train and evaluate.
    gan.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(gan.evaluate(images, labels, batch_size=8, verbose=0)[0])


def test_constructor_compares_the_sub_models():
    generator, discriminator = make_conditional_pair()
    image = keras.Input((SIDE, SIDE, 1))
    label = keras.Input((1,), dtype="int32")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(5, 4)(label))
    y = keras.layers.Concatenate()([keras.layers.Flatten()(image), embedded])
    five_classes = keras.Model([image, label], keras.layers.Dense(1)(y))
    with pytest.raises(ValueError, match=r"same number of classes\. Received: 3 classes \(generator\), 5 classes \(discriminator\)"):
        GAN(generator, five_classes)
    x = keras.Input((2 * SIDE, 2 * SIDE, 1))
    bigger = keras.Model(x, keras.layers.Dense(1)(keras.layers.Flatten()(x)))
    with pytest.raises(ValueError, match=r"generator output shape \(None, 8, 8, 1\), discriminator image input shape \(None, 16, 16, 1\)"):
        GAN(make_generator(), bigger)
    assert GAN(generator, discriminator)._num_classes == NUM_CLASSES


def test_batches_of_the_wrong_shape_name_the_expected_shape(images, labels):
    gan = make_gan()
    gan.compile()
    no_channel = images[..., 0]
    expected = r"GAN\.fit: batches of images of shape \(None, 8, 8, 1\) expected\. Received: \(8, 8, 8\); add a channel axis with x\[\.\.\., None\]"
    with pytest.raises(ValueError, match=expected):
        gan.fit(no_channel, batch_size=8, epochs=1, verbose=0)
    # Also after a good fit (Keras then retraces the step with relaxed shapes).
    gan.fit(images, batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=expected):
        gan.fit(no_channel, batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"GAN\.evaluate: batches of images of shape \(None, 8, 8, 1\) expected\. Received: \(8, 8, 8, 3\)"):
        gan.evaluate(np.repeat(images, 3, axis=-1), batch_size=8, verbose=0)

    cgan = _conditional_gan()
    one_hot = np.eye(NUM_CLASSES, dtype="float32")[labels[:, 0]]
    with pytest.raises(ValueError, match=r"labels must be integer class ids of shape \(batch,\) or \(batch, 1\)\. Received: labels of shape \(8, 3\); for one-hot"):
        cgan.fit(images, one_hot, batch_size=8, epochs=1, verbose=0)
    # (batch,) ids work like (batch, 1).
    cgan.fit(images, labels[:, 0], batch_size=8, epochs=1, verbose=0)


def test_evaluate_checks_batches_like_fit(images):
    gan = make_gan()
    gan.compile()
    # 0-255 images used to give a plausible-looking d_loss.
    with pytest.raises(ValueError, match=r"GAN\.evaluate: .* values outside \[-3, 3\].*image / 127\.5 - 1"):
        gan.evaluate(images * 127.5 + 127.5, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"GAN\.evaluate: .*values outside"):
        gan.fit(images, validation_data=(images * 255,), batch_size=8, epochs=1, verbose=0)
    bad = images.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"GAN\.evaluate: NaN or inf"):
        gan.evaluate(bad, batch_size=8, verbose=0)
