"""``GAN``: a ``keras.Model`` that trains a generator/discriminator pair by ``fit``."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import tensorflow as tf
from keras import ops

from kerasgen import losses
from kerasgen._checks import (
    check_int,
    check_model,
    check_seed,
    input_shapes,
)
from kerasgen._distribute import replica_random
from kerasgen.trainers import _guards, _replica
from kerasgen.trainers._gan_compile import GANCompileMixin
from kerasgen.trainers._gan_sampling import GANSamplingMixin

# Keys of the noise generators' states in the saved weights.
_SEED_STATE_KEYS = {
    "noise_seed_state": "seed_generator",
    "eval_noise_seed_state": "eval_seed_generator",
}


@keras.saving.register_keras_serializable(package="kerasgen")
class GAN(GANCompileMixin, GANSamplingMixin, _guards.GuardMixin, keras.Model):
    """Generative adversarial network trained with plain ``model.fit``.

    Wraps any generator and discriminator ``keras.Model``: each batch runs
    ``d_steps`` discriminator updates, then one generator update. The model
    owns seeded ``keras.random.SeedGenerator``s for its training and its
    evaluation noise (so validation does not change the training run); their
    states, and those of the sub-models' layers (e.g. Dropout), are saved
    with the model, so a reloaded GAN continues training exactly where the
    original would have.

    A batch with NaN or inf values (or NaN/inf losses or gradients) is never
    applied: ``fit`` stops with a ``ValueError`` naming the step, the
    weights untouched (``on_nonfinite="skip"`` skips such batches instead,
    with a warning). A batch clearly outside ``data_range`` (e.g. images on
    the 0-255 scale) stops ``fit`` the same way.

    The GAN is *conditional* when the generator takes ``[latent, labels]``
    and the discriminator ``[images, labels]``; batches are then
    ``(images, labels)``. An unconditional GAN takes batches of ``images``
    (``(images,)`` and ``(images, ignored_labels)`` also work, the labels
    are ignored). Sample weights are ignored.

    ``fit``/``evaluate`` report epoch means over examples of ``d_loss`` (the
    loss the discriminator minimises, including ``gp_weight * penalty`` for
    WGAN-GP; with ``d_steps > 1`` averaged over its updates), ``g_loss``,
    ``loss = d_loss + g_loss`` (so that ``keras.callbacks.TerminateOnNaN``
    works), and for ``"wgan_gp"`` the unweighted ``gradient_penalty``. Regularisation
    losses of the sub-models are optimised but not reported.

    Losses are averaged over the global batch, and the noise of each replica
    is its slice of a global-batch draw, so training under
    ``tf.distribute.MirroredStrategy`` matches single-device training with
    the same global batch. When a sub-model computes in float16 (mixed
    precision) both optimizers are wrapped in
    ``keras.optimizers.LossScaleOptimizer``.

    Args:
        generator: Built ``keras.Model`` mapping ``z`` (shape
            ``(batch, latent_dim)``), or ``[z, labels]``, to images (in
            ``[-1, 1]`` for the kerasgen builders).
        discriminator: Built ``keras.Model`` mapping images, or
            ``[images, labels]``, to logits of shape ``(batch, ...)``.
        latent_dim: Int, size of the latent vector. Inferred from the
            generator's first input when None (required when the generator is
            a subclassed model without ``inputs``).
        seed: Optional int seeding the training noise.
        data_range: Pair ``(lo, hi)``, the range of the training images
            (default ``(-1, 1)``, the range of kerasgen's generators). ``fit``
            refuses batches with values beyond ``lo - (hi - lo)`` or
            ``hi + (hi - lo)``; None (or ``kerasgen.set_range_check(False)``)
            turns the check off.
        on_nonfinite: ``"raise"`` (default) or ``"skip"``: what ``fit`` does
            with a batch whose values, losses or gradients are NaN or inf.
        **kwargs: Standard ``keras.Model`` arguments (``name``, ``dtype``).

    Raises:
        TypeError: If a sub-model is not a ``keras.Model`` or an argument
            has the wrong type.
        ValueError: If a sub-model is not built, the generator and
            discriminator disagree on being conditional, or ``latent_dim`` is
            invalid or inconsistent with the generator, or ``data_range``
            or ``on_nonfinite`` is invalid.

    Example:

    ```python
    gan = kerasgen.GAN(generator, discriminator, seed=0)
    gan.compile(loss="non_saturating")  # Adam(2e-4, beta_1=0.5) for both
    history = gan.fit(images_in_minus1_1, batch_size=64, epochs=5)
    history.history.keys()  # dict_keys(['d_loss', 'g_loss', 'loss'])
    samples = gan.generate(16, seed=1)  # float32 numpy, (16, H, W, C)
    gan.save("gan.keras")  # keras.models.load_model restores optimizers too
    ```
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        seed=None,
        data_range=(-1.0, 1.0),
        on_nonfinite="raise",
        **kwargs,
    ):
        check_model("generator", generator)
        check_model("discriminator", discriminator)
        seed = check_seed(seed)
        data_range = _guards.check_data_range_arg(data_range)
        on_nonfinite = _guards.check_on_nonfinite(on_nonfinite)
        conditional, latent_dim, label_shape = self._inspect(
            generator, discriminator, latent_dim
        )
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.seed = seed
        self.data_range = data_range
        self.on_nonfinite = on_nonfinite
        self.conditional = conditional
        self._label_shape = label_shape
        self.seed_generator = keras.random.SeedGenerator(
            seed, name="noise_seed_generator"
        )
        # Evaluation has its own noise so that validation does not change
        # the training trajectory.
        self.eval_seed_generator = keras.random.SeedGenerator(
            None if seed is None else seed + 1, name="eval_noise_seed_generator"
        )
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.gp_tracker = keras.metrics.Mean(name="gradient_penalty")
        self._bad_batch_trackers = _guards.make_trackers()
        # Set by compile().
        self.d_optimizer = None
        self.g_optimizer = None
        self.loss_type = "non_saturating"
        self.gp_weight = 10.0
        self.d_steps = 1
        self.label_smoothing = 0.0
        self._gan_compile_config = None
        latent_shape = (None, latent_dim)
        self.build([latent_shape, label_shape] if conditional else latent_shape)

    @staticmethod
    def _inspect(generator, discriminator, latent_dim):
        """Returns ``(conditional, latent_dim, label_shape)`` or raises."""
        g_shapes = input_shapes(generator)
        d_shapes = input_shapes(discriminator)
        if g_shapes is not None and len(g_shapes) not in (1, 2):
            raise ValueError(
                "generator must take z or [z, labels]. Received a generator "
                f"with {len(g_shapes)} inputs of shapes {g_shapes}"
            )
        conditional = g_shapes is not None and len(g_shapes) == 2
        if d_shapes is not None and len(d_shapes) != (2 if conditional else 1):
            expected = "[images, labels]" if conditional else "images"
            raise ValueError(
                f"discriminator must take {expected} since the generator has "
                f"{len(g_shapes) if g_shapes else 1} input(s). Received a "
                f"discriminator with inputs of shapes {d_shapes}"
            )
        if latent_dim is not None:
            latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        inferred = None
        if g_shapes is not None:
            z_shape = g_shapes[0]
            if len(z_shape) != 2:
                raise ValueError(
                    "generator's latent input must have shape (batch, latent_dim). "
                    f"Received: shape={z_shape}"
                )
            inferred = z_shape[1]
        if latent_dim is None:
            if inferred is None:
                raise ValueError(
                    "latent_dim could not be inferred from the generator's "
                    "inputs; pass latent_dim=. Received: latent_dim=None"
                )
            latent_dim = inferred
        elif inferred is not None and inferred != latent_dim:
            raise ValueError(
                f"latent_dim={latent_dim} does not match the generator's latent "
                f"input shape {g_shapes[0]}. Received: latent_dim={latent_dim}"
            )
        label_shape = tuple(g_shapes[1]) if conditional else None
        return conditional, int(latent_dim), label_shape

    def build(self, input_shape=None):
        # The sub-models are built already (checked in __init__); recording
        # the call's input shape lets Keras export the model.
        pass

    @property
    def metrics(self):
        metrics = [self.d_loss_tracker, self.g_loss_tracker]
        if self.loss_type == "wgan_gp":
            metrics.append(self.gp_tracker)
        return metrics

    # ----------------------------------------------------------------- steps

    def _unpack(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.conditional and labels is None:
            raise ValueError(
                "A conditional GAN trains on (images, labels) batches. "
                "Received batches without labels."
            )
        return ops.cast(images, "float32"), labels if self.conditional else None

    def _random(self, distribution, batch, feature_shape, training):
        """This replica's slice of a global-batch draw of training/eval noise."""
        seed = self.seed_generator if training else self.eval_seed_generator

        def sample(shape):
            return distribution(shape, seed=seed)

        return replica_random(sample, batch, feature_shape)

    def _noise(self, batch, training=True):
        return self._random(keras.random.normal, batch, (self.latent_dim,), training)

    def _generate(self, z, labels, training):
        inputs = [z, labels] if self.conditional else z
        return self.generator(inputs, training=training)

    def _discriminate(self, images, labels, training):
        inputs = [images, labels] if self.conditional else images
        return ops.cast(self.discriminator(inputs, training=training), "float32")

    def _generator_loss(self, fake_logits):
        if self.loss_type == "non_saturating":
            return losses.non_saturating_generator_loss(fake_logits)
        if self.loss_type == "hinge":
            return losses.hinge_generator_loss(fake_logits)
        return losses.wasserstein_generator_loss(fake_logits)

    def _discriminator_loss(self, images, labels, fake, training):
        """Returns per-example ``(total, gradient_penalty or None, fake_logits)``."""
        real_logits = self._discriminate(images, labels, training)
        fake_logits = self._discriminate(fake, labels, training)
        if self.loss_type == "non_saturating":
            d_loss = losses.non_saturating_discriminator_loss(
                real_logits, fake_logits, label_smoothing=self.label_smoothing
            )
            return d_loss, None, fake_logits
        if self.loss_type == "hinge":
            return losses.hinge_discriminator_loss(real_logits, fake_logits), None, fake_logits
        d_loss = losses.wasserstein_discriminator_loss(real_logits, fake_logits)

        # One U(0, 1) interpolation factor per example.
        epsilon = self._random(keras.random.uniform, ops.shape(images)[0], (), training)
        penalty = losses.gradient_penalty(
            lambda x: self._discriminate(x, labels, training),
            images,
            fake,
            epsilon=epsilon,
        )
        return d_loss + self.gp_weight * penalty, penalty, fake_logits

    def train_step(self, data):
        images, labels = self._unpack(data)
        batch = ops.shape(images)[0]
        range_ok = _guards.agree(_guards.in_range(images, self.data_range))
        data_ok = tf.logical_and(range_ok, _guards.agree(_guards.all_finite(images)))
        finite = data_ok
        d_variables = self.discriminator.trainable_variables
        g_variables = self.generator.trainable_variables
        for _ in range(self.d_steps):
            fake = self._generate(self._noise(batch), labels, training=True)
            with tf.GradientTape() as tape:
                d_per_example, penalty, _ = self._discriminator_loss(
                    images, labels, fake, training=True
                )
                d_loss = _replica.global_average(d_per_example)
                d_loss = d_loss + _replica.scaled_regularization(self.discriminator)
                scaled_loss = self.d_optimizer.scale_loss(d_loss)
            grads = tape.gradient(scaled_loss, d_variables)
            ok = self._step_ok(data_ok, d_per_example, penalty, grads, self.d_optimizer)
            finite = tf.logical_and(finite, ok)
            _guards.apply_if(ok, self.d_optimizer, grads, d_variables)
            _guards.update_masked(self.d_loss_tracker, d_per_example, ok)
            if penalty is not None:
                _guards.update_masked(self.gp_tracker, penalty, ok)

        z = self._noise(batch)
        with tf.GradientTape() as tape:
            fake = self._generate(z, labels, training=True)
            g_per_example = self._generator_loss(
                self._discriminate(fake, labels, training=True)
            )
            g_loss = _replica.global_average(g_per_example)
            g_loss = g_loss + _replica.scaled_regularization(self.generator)
            scaled_loss = self.g_optimizer.scale_loss(g_loss)
        grads = tape.gradient(scaled_loss, g_variables)
        ok = self._step_ok(finite, g_per_example, None, grads, self.g_optimizer)
        _guards.apply_if(ok, self.g_optimizer, grads, g_variables)
        _guards.update_masked(self.g_loss_tracker, g_per_example, ok)
        logs = self._logs()
        finite = tf.logical_or(tf.logical_not(range_ok), ok)  # one cause per batch
        logs.update(_guards.count_bad(self._bad_batch_trackers, finite, range_ok))
        return logs

    def _step_ok(self, data_ok, per_example, penalty, grads, optimizer):
        """Whether an update may be applied (same value on every replica)."""
        checked = [per_example, penalty]
        if _guards.grads_checked(optimizer):
            checked.append(grads)
        return tf.logical_and(data_ok, _guards.agree(_guards.all_finite(*checked)))

    def _logs(self):
        logs = {m.name: m.result() for m in self.metrics}
        logs["loss"] = logs["d_loss"] + logs["g_loss"]
        return logs

    def _applied_steps(self):
        return int(self.g_optimizer.iterations.numpy())

    def test_step(self, data):
        images, labels = self._unpack(data)
        z = self._noise(ops.shape(images)[0], training=False)
        fake = self._generate(z, labels, training=False)
        d_per_example, penalty, fake_logits = self._discriminator_loss(
            images, labels, fake, training=False
        )
        self.d_loss_tracker.update_state(d_per_example)
        if penalty is not None:
            self.gp_tracker.update_state(penalty)
        self.g_loss_tracker.update_state(self._generator_loss(fake_logits))
        return self._logs()

    # --------------------------------------------------------------- saving

    def save_own_variables(self, store):
        super().save_own_variables(store)
        for key, attribute in _SEED_STATE_KEYS.items():
            store[key] = getattr(self, attribute).state
        _guards.save_seed_states(store, self._layer_seed_generators())

    def load_own_variables(self, store):
        keys = list(store.keys())
        for key, attribute in _SEED_STATE_KEYS.items():
            if key in keys:
                getattr(self, attribute).state.assign(store[key])
        keys = _guards.load_seed_states(store, keys, self._layer_seed_generators())
        super().load_own_variables(
            {k: store[k] for k in keys if k not in _SEED_STATE_KEYS}
        )

    def _layer_seed_generators(self):
        return _guards.seed_generators(self.generator, self.discriminator)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "latent_dim": self.latent_dim,
                "seed": self.seed,
                "data_range": self.data_range,
                "on_nonfinite": self.on_nonfinite,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(
            config.pop("generator"), custom_objects=custom_objects
        )
        discriminator = keras.saving.deserialize_keras_object(
            config.pop("discriminator"), custom_objects=custom_objects
        )
        return cls(generator, discriminator, **config)
