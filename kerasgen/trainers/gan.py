"""``GAN``: a ``keras.Model`` that trains a generator/discriminator pair by ``fit``."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen import losses
from kerasgen._checks import (
    check_float,
    check_int,
    check_model,
    check_seed,
    input_shapes,
)
from kerasgen._distribute import replica_random
from kerasgen.trainers import _guards, _optimizers, _replica
from kerasgen.trainers._inference import predict_in_batches

_LOSSES = ("non_saturating", "hinge", "wgan_gp")
# Keys of the noise generators' states in the saved weights.
_SEED_STATE_KEYS = {
    "noise_seed_state": "seed_generator",
    "eval_noise_seed_state": "eval_seed_generator",
}


def _radford_adam():
    # DCGAN defaults (Radford et al., 2016).
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def _wgan_gp_adam():
    # WGAN-GP defaults (Gulrajani et al., 2017, Algorithm 1).
    return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.0, beta_2=0.9)


@keras.saving.register_keras_serializable(package="kerasgen")
class GAN(_guards.GuardMixin, keras.Model):
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

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        loss="non_saturating",
        gp_weight=10.0,
        d_steps=1,
        label_smoothing=0.0,
        **kwargs,
    ):
        """Configures the GAN for training.

        Args:
            d_optimizer: Discriminator optimizer (instance, name or config).
                None gives ``Adam(2e-4, beta_1=0.5)`` (Radford et al.) for
                ``"non_saturating"``/``"hinge"`` and
                ``Adam(1e-4, beta_1=0.0, beta_2=0.9)`` (Gulrajani et al.)
                for ``"wgan_gp"``.
            g_optimizer: Generator optimizer, same defaults. Must be a
                different instance from ``d_optimizer``.
            loss: One of ``"non_saturating"``, ``"hinge"``, ``"wgan_gp"``.
            gp_weight: Float >= 0, weight of the gradient penalty (wgan_gp).
            d_steps: Int >= 1, discriminator updates per batch (the same real
                batch with fresh noise; the WGAN-GP paper uses 5).
            label_smoothing: One-sided smoothing of the real labels in
                ``[0, 1)`` (``"non_saturating"`` only).
            **kwargs: ``run_eagerly``, ``jit_compile``,
                ``steps_per_execution`` (as in ``keras.Model.compile``) and
                ``auto_scale_loss`` (default True: wrap the optimizers in a
                ``LossScaleOptimizer`` when a sub-model computes in float16).

        Raises:
            TypeError: If an argument has the wrong type.
            ValueError: On an unknown loss, out-of-range numbers, a shared
                optimizer instance, or unsupported keyword arguments.
        """
        passthrough, auto_scale_loss = _optimizers.split_compile_kwargs(kwargs, "GAN")
        if loss not in _LOSSES:
            raise ValueError(
                f"loss must be one of {list(_LOSSES)}. Received: loss={loss!r}"
            )
        gp_weight = check_float("gp_weight", gp_weight, minimum=0)
        d_steps = check_int("d_steps", d_steps, minimum=1)
        label_smoothing = check_float(
            "label_smoothing", label_smoothing, minimum=0, maximum=1, open_maximum=True
        )
        if label_smoothing and loss != "non_saturating":
            raise ValueError(
                "label_smoothing only applies to loss='non_saturating'. "
                f"Received: label_smoothing={label_smoothing!r}, loss={loss!r}"
            )
        if d_optimizer is not None and d_optimizer is g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer must be different optimizer "
                "instances (each keeps the state of one sub-model). Received "
                f"the same object twice: {d_optimizer!r}"
            )
        default = _wgan_gp_adam if loss == "wgan_gp" else _radford_adam
        scale = auto_scale_loss and _optimizers.needs_loss_scaling(
            self.generator, self.discriminator
        )
        with _replica.strategy_scope(self):
            d_opt = _optimizers.resolve(d_optimizer, default, "d_optimizer")
            g_opt = _optimizers.resolve(g_optimizer, default, "g_optimizer")
            d_run = _optimizers.maybe_wrap(d_opt, scale)
            g_run = _optimizers.maybe_wrap(g_opt, scale)
            # Built now so that load_model can restore their state.
            _optimizers.build(d_run, self.discriminator.trainable_variables)
            _optimizers.build(g_run, self.generator.trainable_variables)
        super().compile(optimizer=None, loss=None, **passthrough)
        self.d_optimizer = d_run
        self.g_optimizer = g_run
        self.loss_type = loss
        self.gp_weight = gp_weight
        self.d_steps = d_steps
        self.label_smoothing = label_smoothing
        self._gan_compile_config = {
            "d_optimizer": d_opt,  # as given (unwrapped), resolved
            "g_optimizer": g_opt,
            "loss": loss,
            "gp_weight": self.gp_weight,
            "d_steps": self.d_steps,
            "label_smoothing": self.label_smoothing,
            "auto_scale_loss": auto_scale_loss,
            **passthrough,
        }

    def get_compile_config(self):
        if not self.compiled or self._gan_compile_config is None:
            return {}
        config = dict(self._gan_compile_config)
        for key in ("d_optimizer", "g_optimizer"):
            config[key] = keras.saving.serialize_keras_object(config[key])
        return config

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("d_optimizer", "g_optimizer"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)

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

    def call(self, inputs, training=False):
        """Generates images from ``z`` (or ``[z, labels]``), as float32."""
        if self.conditional and not (
            isinstance(inputs, (list, tuple)) and len(inputs) == 2
        ):
            raise ValueError(
                "A conditional GAN is called on [z, labels]. "
                f"Received: inputs of type {type(inputs).__name__}"
            )
        return ops.cast(self.generator(inputs, training=training), "float32")

    # ------------------------------------------------------------- sampling

    def generate(self, num_images, seed=None, labels=None, batch_size=None):
        """Generates images from random latent vectors.

        The noise does not come from (nor advance) the training noise state:
        a given int ``seed`` always gives the same images for given weights.

        Args:
            num_images: Int >= 1, number of images.
            seed: Optional int. None draws from Keras' global seed generator
                (reproducible after ``keras.utils.set_random_seed``).
            labels: For a conditional GAN, required array of ``num_images``
                labels in the format of the generator's label input. Must be
                None for an unconditional GAN.
            batch_size: Optional int, images per generator call (default 128).

        Returns:
            Numpy float32 array ``(num_images, ...)`` in the generator's
            output range.

        Raises:
            TypeError: If ``num_images``, ``seed`` or ``batch_size`` is not
                an int.
            ValueError: On out-of-range values, missing labels for a
                conditional GAN or labels for an unconditional one.

        Example:

        ```python
        images = gan.generate(8, seed=0)
        digits = cgan.generate(10, seed=0, labels=np.arange(10))
        ```
        """
        num_images = check_int("num_images", num_images, minimum=1)
        seed = check_seed(seed)
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size, minimum=1)
        if self.conditional:
            labels = self._check_labels(labels, num_images)
        elif labels is not None:
            raise ValueError(
                "labels must be None for an unconditional GAN. "
                f"Received: labels of type {type(labels).__name__}"
            )
        z = ops.convert_to_numpy(
            keras.random.normal((num_images, self.latent_dim), seed=seed)
        )
        inputs = [z, labels] if self.conditional else z
        return predict_in_batches(self.generator, inputs, batch_size)

    def _check_labels(self, labels, num_images):
        if labels is None:
            raise ValueError(
                f"labels are required for a conditional GAN: pass {num_images} "
                "labels (one per image). Received: labels=None"
            )
        labels = np.asarray(labels)
        if labels.ndim == 0 or labels.shape[0] != num_images:
            raise ValueError(
                f"labels must have num_images={num_images} rows. "
                f"Received: labels.shape={labels.shape}"
            )
        shape = self._label_shape
        if shape is not None and labels.ndim == len(shape) - 1 and shape[-1] == 1:
            labels = labels[..., None]  # e.g. (n,) for an input of shape (None, 1)
        return labels

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
