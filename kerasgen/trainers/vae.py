"""``VAE``: a ``keras.Model`` that trains an encoder/decoder pair by ``fit``."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import copy

import keras
import tensorflow as tf
from keras import ops

from kerasgen import losses
from kerasgen._checks import (
    check_float,
    check_model,
    input_shapes,
    output_shapes,
    rescale_hint,
)
from kerasgen.trainers import _guards, _optimizers, _replica, _seed_states, _step_flags
from kerasgen.trainers._vae_likelihood import VAELikelihoodMixin
from kerasgen.trainers._vae_sampling import VAESamplingMixin, _compatible

_LIKELIHOODS = ("bernoulli", "gaussian")
# How far beyond [0, 1] the Bernoulli likelihood accepts values (rounding).
_BERNOULLI_TOLERANCE = 1e-3


def _default_adam():
    return keras.optimizers.Adam(learning_rate=1e-3)


@keras.saving.register_keras_serializable(package="kerasgen")
class VAE(VAESamplingMixin, VAELikelihoodMixin, _guards.GuardMixin, keras.Model):
    """Variational auto-encoder (Kingma & Welling, 2014) trained by ``fit``.

    The loss is the negative ELBO per image, in nats:
    ``loss = reconstruction_loss + beta * kl_loss``, where
    ``reconstruction_loss`` is the negative log-likelihood summed over pixels
    and ``kl_loss`` the KL divergence summed over latent dimensions, both
    averaged over the images (so ``loss`` is comparable to published MNIST
    numbers, about 100 nats for a good model). ``log_likelihood(x, K)``
    gives the tighter importance-weighted estimate of ``log p(x)`` (IWAE)
    that papers report as NLL. ``fit``, ``evaluate`` and
    ``fit(validation_data=...)`` report these three metrics as epoch means.
    Regularisation losses of the sub-models are added to the optimised loss
    but not to the reported metrics.

    Batches are images, or ``(images, anything)`` tuples whose second element
    is ignored; sample weights (and ``class_weight``) are refused with a
    ``ValueError``, every image weighing the same. Losses are averaged over
    the global batch (correct under ``tf.distribute`` strategies). Mixed precision: build the sub-models
    inside ``kerasgen.precision.precision_scope("auto")`` (bfloat16 on CPUs
    that compute it natively; no loss scaling needed); when a sub-model
    computes in float16 the optimizer is wrapped in
    ``keras.optimizers.LossScaleOptimizer``.

    A batch with NaN or inf values (or NaN/inf losses or gradients) is never
    applied: ``fit`` stops with a ``ValueError`` naming the step, the
    weights untouched (``on_nonfinite="skip"`` skips such batches instead,
    with a warning). A batch clearly outside ``data_range`` (e.g. images on
    the 0-255 scale) stops ``fit`` the same way; with
    ``likelihood="bernoulli"`` any value outside ``[0, 1]`` does (e.g.
    images in ``[-1, 1]``: the Bernoulli loss of such values is unbounded
    below, so training would drive it to large negative values). A batch
    whose shape does not match the encoder's input stops ``fit`` with a
    ``ValueError`` naming both shapes. ``evaluate`` and
    ``fit(validation_data=...)`` check their batches the same way (a
    skipped batch is left out of the metrics), and so does ``predict``
    (NaN or inf refused unless ``on_nonfinite="skip"``, which warns);
    ``encode`` and ``log_likelihood`` check their images too. The states of the sub-models' random generators
    (``Sampling``, Dropout) are saved with the model, so a reloaded VAE
    continues training exactly.

    Args:
        encoder: Built ``keras.Model`` mapping images to
            ``[z_mean, z_log_var, z]`` (e.g. with ``kerasgen.layers.Sampling``
            drawing ``z``).
        decoder: Built ``keras.Model`` mapping ``z`` to images in ``[0, 1]``:
            pixel probabilities (``likelihood="bernoulli"``) or means
            (``likelihood="gaussian"``).
        beta: Float >= 0, weight of the KL term (beta-VAE; 1.0 is the ELBO).
        likelihood: ``"bernoulli"`` (binary or [0, 1] grey images) or
            ``"gaussian"``.
        gaussian_std: Float > 0, fixed standard deviation of the Gaussian
            likelihood (ignored for Bernoulli). Smaller values weigh the
            reconstruction more.
        data_range: Pair ``(lo, hi)``, the range of the training images
            (default ``(0, 1)``). ``fit`` refuses batches with values beyond
            ``lo - (hi - lo)`` or ``hi + (hi - lo)`` (with
            ``likelihood="bernoulli"``, values outside ``[0, 1]``); None (or
            ``kerasgen.set_range_check(False)``) turns the check off.
        on_nonfinite: ``"raise"`` (default) or ``"skip"``: what ``fit`` does
            with a batch whose values, losses or gradients are NaN or inf.
        **kwargs: Standard ``keras.Model`` arguments (``name``, ``dtype``).

    Raises:
        TypeError: If a sub-model is not a ``keras.Model`` or a number has
            the wrong type.
        ValueError: If a sub-model is not built, the encoder does not have
            three outputs, shapes are inconsistent, or a number or the
            likelihood is invalid.

    Example:

    ```python
    vae = kerasgen.VAE(encoder, decoder)
    vae.compile()  # Adam(1e-3)
    vae.fit(train_images, validation_data=(test_images,), epochs=10)
    reconstructions = vae.predict(test_images)  # decoder(z_mean)
    samples = vae.sample(16, seed=0)
    nll = -vae.log_likelihood(test_images, num_samples=1000).mean()  # nats
    ```
    """

    def __init__(
        self,
        encoder,
        decoder,
        beta=1.0,
        likelihood="bernoulli",
        gaussian_std=0.1,
        data_range=(0.0, 1.0),
        on_nonfinite="raise",
        **kwargs,
    ):
        check_model("encoder", encoder)
        check_model("decoder", decoder)
        beta = check_float("beta", beta, minimum=0)
        if likelihood not in _LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {list(_LIKELIHOODS)}. "
                f"Received: likelihood={likelihood!r}"
            )
        gaussian_std = check_float("gaussian_std", gaussian_std, minimum=0, open_minimum=True)
        data_range = _guards.check_data_range_arg(data_range)
        on_nonfinite = _guards.check_on_nonfinite(on_nonfinite)
        image_shape, latent_shape = self._inspect(encoder, decoder)
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.likelihood = likelihood
        self.gaussian_std = gaussian_std
        self.data_range = data_range
        self.on_nonfinite = on_nonfinite
        self._bad_batch_trackers = _guards.make_trackers()
        self._eval_bad_batch_trackers = _guards.make_trackers("eval_")
        self._image_shape = image_shape
        self._latent_shape = latent_shape
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self._vae_compile_config = None
        self.build(image_shape)

    @staticmethod
    def _inspect(encoder, decoder):
        """Returns ``(image_shape, latent_shape)`` (None where unknown)."""
        enc_in = input_shapes(encoder)
        enc_out = output_shapes(encoder)
        dec_in = input_shapes(decoder)
        dec_out = output_shapes(decoder)
        if enc_in is not None and len(enc_in) != 1:
            raise ValueError(
                f"encoder must take one input (images). Received inputs of shapes {enc_in}"
            )
        if enc_out is not None and len(enc_out) != 3:
            raise ValueError(
                "encoder must output [z_mean, z_log_var, z]. Received "
                f"{len(enc_out)} output(s) of shapes {enc_out}"
            )
        if dec_in is not None and len(dec_in) != 1:
            raise ValueError(
                f"decoder must take one input (z). Received inputs of shapes {dec_in}"
            )
        latent_shape = None
        if dec_in is not None:
            latent_shape = tuple(dec_in[0][1:])
        elif enc_out is not None:
            latent_shape = tuple(enc_out[0][1:])
        if (
            enc_out is not None
            and dec_in is not None
            and not _compatible(enc_out[2][1:], dec_in[0][1:])
        ):
            raise ValueError(
                "The encoder's z output and the decoder's input must have "
                f"the same shape. Received: z shape {enc_out[2]}, decoder "
                f"input shape {dec_in[0]}"
            )
        if (
            enc_in is not None
            and dec_out is not None
            and (len(dec_out) != 1 or not _compatible(enc_in[0][1:], dec_out[0][1:]))
        ):
            raise ValueError(
                "The decoder must output images of the encoder's input "
                f"shape. Received: encoder input {enc_in[0]}, decoder "
                f"output(s) {dec_out}"
            )
        image_shape = tuple(enc_in[0]) if enc_in is not None else None
        return image_shape, latent_shape

    def build(self, input_shape=None):
        # The sub-models are built already (checked in __init__); recording
        # the call's input shape lets Keras export the model.
        pass

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def compile(self, optimizer=None, **kwargs):
        """Configures the VAE for training.

        Args:
            optimizer: Optimizer instance, name or config; None gives
                ``keras.optimizers.Adam(1e-3)``.
            **kwargs: ``run_eagerly``, ``jit_compile``,
                ``steps_per_execution`` (as in ``keras.Model.compile``) and
                ``auto_scale_loss`` (default True: wrap the optimizer in a
                ``LossScaleOptimizer`` when a sub-model computes in float16).
                The VAE owns its loss and metrics: ``loss=``/``metrics=`` are
                rejected.

        Raises:
            TypeError: If ``optimizer`` is not an optimizer, name or config.
            ValueError: On unsupported keyword arguments.
        """
        passthrough, auto_scale_loss = _optimizers.split_compile_kwargs(kwargs, "VAE")
        scale = auto_scale_loss and _optimizers.needs_loss_scaling(
            self.encoder, self.decoder
        )
        with _replica.strategy_scope(self):
            user_optimizer = _optimizers.resolve(optimizer, _default_adam, "optimizer")
            run_optimizer = _optimizers.maybe_wrap(user_optimizer, scale)
            _optimizers.build(run_optimizer, self.trainable_variables)
        super().compile(optimizer=run_optimizer, auto_scale_loss=False, **passthrough)
        self._vae_compile_config = {
            "optimizer": user_optimizer,  # as given (unwrapped), resolved
            "auto_scale_loss": auto_scale_loss,
            **passthrough,
        }

    def get_compile_config(self):
        if not self.compiled or self._vae_compile_config is None:
            return {}
        config = dict(self._vae_compile_config)
        config["optimizer"] = keras.saving.serialize_keras_object(config["optimizer"])
        return config

    def compile_from_config(self, config):
        config = dict(config)
        if config.get("optimizer") is not None:
            config["optimizer"] = keras.saving.deserialize_keras_object(config["optimizer"])
        self.compile(**config)

    # ----------------------------------------------------------------- steps

    def _per_image_losses(self, images, training):
        """Per-image ``(loss, reconstruction, kl)`` in nats, shapes (batch,)."""
        outputs = self.encoder(images, training=training)
        if not isinstance(outputs, (list, tuple)) or len(outputs) != 3:
            raise ValueError(
                "encoder must return [z_mean, z_log_var, z]. "
                f"Received: {type(outputs).__name__} of length "
                f"{len(outputs) if isinstance(outputs, (list, tuple)) else 1}"
            )
        z_mean, z_log_var, z = outputs
        decoded = self.decoder(z, training=training)
        if self.likelihood == "bernoulli":
            reconstruction = losses.bernoulli_nll(images, decoded)
        else:
            reconstruction = losses.gaussian_nll(
                images, ops.cast(decoded, "float32"), self.gaussian_std
            )
        kl = losses.kl_divergence(z_mean, z_log_var)
        return reconstruction + self.beta * kl, reconstruction, kl

    def _images(self, data, where):
        images, _, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        _guards.check_no_sample_weight(sample_weight, where)
        images = _guards.check_array(images, "images", where)
        images = _guards.check_batch_shape(images, self._image_shape, where)
        return ops.cast(images, "float32")

    def _check_batch_shapes(self, data, where):
        images, _, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        _guards.check_no_sample_weight(sample_weight, where)
        _guards.check_shape(_guards.check_array(images, "images", where).shape, self._image_shape, where)

    def _range_bounds(self):
        bounds = _guards.range_bounds(self.data_range)
        if bounds is None or self.likelihood != "bernoulli":
            return bounds
        # Bernoulli: log p(x) <= 0 only for x in [0, 1].
        return (
            max(bounds[0], -_BERNOULLI_TOLERANCE),
            min(bounds[1], 1.0 + _BERNOULLI_TOLERANCE),
        )

    def _range_message(self):
        if self.likelihood != "bernoulli":
            return super()._range_message()
        return (
            "values outside [0, 1], which likelihood='bernoulli' needs (its "
            "loss is unbounded below for other values)",
            "A VAE trains on images in [0, 1] (e.g. load_dataset(..., "
            "value_range=(0, 1))): map images in [-1, 1] with (x + 1) / 2. "
            f"{rescale_hint((0.0, 1.0))} Or pass likelihood='gaussian' to the VAE.",
        )

    def _update_metrics(self, loss, reconstruction, kl, ok):
        """Updates the metrics with the batch's values where ``ok``; returns them."""
        for tracker, values in (
            (self.loss_tracker, loss),
            (self.reconstruction_loss_tracker, reconstruction),
            (self.kl_loss_tracker, kl),
        ):
            _step_flags.update_masked(tracker, values, ok)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images = self._images(data, "VAE.fit")
        variables = self.trainable_variables
        range_ok = _step_flags.agree(_step_flags.in_range(images, self._range_bounds()))
        with tf.GradientTape() as tape:
            per_image, reconstruction, kl = self._per_image_losses(images, training=True)
            loss = _replica.global_average(per_image)
            loss = loss + _replica.scaled_regularization(self)
            scaled_loss = self.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled_loss, variables)
        checked = [images, per_image, loss]
        if _step_flags.grads_checked(self.optimizer):
            checked.append(grads)
        ok = tf.logical_and(range_ok, _step_flags.agree(_step_flags.all_finite(*checked)))
        _step_flags.apply_if(ok, self.optimizer, grads, variables)
        logs = self._update_metrics(per_image, reconstruction, kl, ok)
        finite = tf.logical_or(tf.logical_not(range_ok), ok)  # one cause per batch
        logs.update(_step_flags.count_bad(self._bad_batch_trackers, finite, range_ok))
        return logs

    def _applied_steps(self):
        return int(self.optimizer.iterations.numpy())

    def test_step(self, data):
        images = self._images(data, "VAE.evaluate")
        range_ok = _step_flags.agree(_step_flags.in_range(images, self._range_bounds()))
        per_image, reconstruction, kl = self._per_image_losses(images, training=False)
        ok = tf.logical_and(range_ok, _step_flags.agree(_step_flags.all_finite(images, per_image)))
        logs = self._update_metrics(per_image, reconstruction, kl, ok)
        finite = tf.logical_or(tf.logical_not(range_ok), ok)  # one cause per batch
        logs.update(_step_flags.count_bad(self._eval_bad_batch_trackers, finite, range_ok))
        return logs

    def _check_predict_shapes(self, data, where):
        self._check_batch_shapes(data, where)

    def predict_step(self, data):
        """Reconstructs a batch of images, checked as ``evaluate`` checks its batches.

        Images of the wrong shape or clearly outside ``data_range`` are
        refused; NaN or inf in the images or the reconstructions too (see
        ``on_nonfinite``).
        """
        images = self._images(data, "VAE.predict")
        range_ok = _step_flags.in_range(images, self._range_bounds())
        reconstructions = self(images, training=False)
        return _step_flags.predict_outputs(
            reconstructions, _step_flags.all_finite(images, reconstructions), range_ok
        )

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Keras' ``Model.export`` of ``call`` (images -> reconstructions).

        ``input_signature`` defaults to the encoder's input (Keras refused
        a VAE that ``fit`` had trained but never called: "The model
        provided has never called"). For TF Serving, prefer
        ``kerasgen.export.export_for_serving``, whose signatures (decode,
        encode, generate) also check their inputs.
        """
        if input_signature is None and self._image_shape is not None:
            input_signature = [tf.TensorSpec(self._image_shape, "float32", name="images")]
        return super().export(
            filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs
        )

    def call(self, inputs, training=False):
        """Reconstructs ``inputs`` as ``decoder(z_mean)`` (no sampling), float32."""
        z_mean = self.encoder(inputs, training=training)[0]
        return ops.cast(self.decoder(z_mean, training=training), "float32")

    # --------------------------------------------------------------- saving

    def save_own_variables(self, store):
        super().save_own_variables(store)
        _seed_states.save_seed_states(store, _seed_states.seed_generators(self.encoder, self.decoder))

    def load_own_variables(self, store):
        keys = _seed_states.load_seed_states(
            store, list(store.keys()), _seed_states.seed_generators(self.encoder, self.decoder)
        )
        super().load_own_variables({k: store[k] for k in keys})

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "beta": self.beta,
                "likelihood": self.likelihood,
                "gaussian_std": self.gaussian_std,
                "data_range": self.data_range,
                "on_nonfinite": self.on_nonfinite,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # A deep copy: deserialising a functional sub-model empties its
        # config in place, so a second from_config of the same dict failed.
        config = copy.deepcopy(config)
        encoder = keras.saving.deserialize_keras_object(
            config.pop("encoder"), custom_objects=custom_objects
        )
        decoder = keras.saving.deserialize_keras_object(
            config.pop("decoder"), custom_objects=custom_objects
        )
        return cls(encoder, decoder, **config)
