"""``GAN``: a ``keras.Model`` that trains a generator/discriminator pair by ``fit``."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import copy

import keras
import tensorflow as tf

from kerasgen._checks import (
    check_int,
    check_model,
    check_seed,
    input_shapes,
    output_shapes,
)
from kerasgen.trainers import _guards, _seed_states
from kerasgen.trainers._gan_compile import GANCompileMixin
from kerasgen.trainers._gan_sampling import GANSamplingMixin
from kerasgen.trainers._gan_steps import GANStepsMixin
from kerasgen.trainers._vae_sampling import _compatible

# Keys of the noise generators' states in the saved weights.
_SEED_STATE_KEYS = {
    "noise_seed_state": "seed_generator",
    "eval_noise_seed_state": "eval_seed_generator",
}


@keras.saving.register_keras_serializable(package="kerasgen")
class GAN(
    GANCompileMixin, GANStepsMixin, GANSamplingMixin, _guards.GuardMixin, keras.Model
):
    """Generative adversarial network trained with plain ``model.fit``.

    Wraps any generator and discriminator ``keras.Model``: each batch runs
    ``d_steps`` discriminator updates, then one generator update through the
    updated discriminator, which reuses the generator's forward pass of the
    last discriminator update (same noise, one generator pass fewer per
    step). The model
    owns seeded ``keras.random.SeedGenerator``s for its training and its
    evaluation noise (so validation does not change the training run); their
    states, and those of the sub-models' layers (e.g. Dropout), are saved
    with the model, so a reloaded GAN continues training exactly where the
    original would have.

    A batch with NaN or inf values (or NaN/inf losses or gradients) is never
    applied: ``fit`` stops with a ``ValueError`` naming the step, the
    weights untouched (``on_nonfinite="skip"`` skips such batches instead,
    with a warning). A batch clearly outside ``data_range`` (e.g. images on
    the 0-255 scale) stops ``fit`` the same way, and so does a batch whose
    labels are not class ids in ``[0, num_classes)``. A batch of images (or
    labels) of the wrong shape stops ``fit`` with a ``ValueError`` naming the
    expected shape. ``evaluate`` and ``fit(validation_data=...)`` check their
    batches the same way (a skipped batch is left out of the metrics), and
    so do ``predict`` / ``predict_on_batch`` (batches of ``z``, or of
    ``[z, labels]``: latent vectors of shape ``(batch, latent_dim)``, NaN
    or inf refused unless ``on_nonfinite="skip"``, which warns and returns
    the NaN images).

    The GAN is *conditional* when the generator takes ``[latent, labels]``
    and the discriminator ``[images, labels]``; batches are then
    ``(images, labels)``. When the label inputs have an integer dtype (as in
    kerasgen's builders), labels are class ids: integers in
    ``[0, num_classes)``, ``num_classes`` being read from the
    ``Embedding`` layers that take the labels. An unconditional GAN takes batches of ``images``
    (``(images,)`` and ``(images, ignored_labels)`` also work, the labels
    are ignored). Sample weights (and ``class_weight``) are refused with a
    ``ValueError``: every image weighs the same.

    ``fit``/``evaluate`` report epoch means over examples of ``d_loss`` (the
    loss the discriminator minimises, including ``gp_weight * penalty`` for
    WGAN-GP; with ``d_steps > 1`` averaged over its updates), ``g_loss``,
    ``loss = d_loss + g_loss`` (so that ``keras.callbacks.TerminateOnNaN``
    works), and for ``"wgan_gp"`` the unweighted ``gradient_penalty``. Regularisation
    losses of the sub-models are optimised but not reported.

    Losses are averaged over the global batch, and the noise of each replica
    is its slice of a global-batch draw, so training under
    ``tf.distribute.MirroredStrategy`` matches single-device training with
    the same global batch. Mixed precision: build the sub-models inside
    ``kerasgen.precision.precision_scope("auto")`` (bfloat16 on CPUs that
    compute it natively, about 2x faster; no loss scaling needed); when a
    sub-model computes in float16 both optimizers are wrapped in
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
            discriminator disagree on being conditional or on the number of
            classes, the generator's output shape is not the
            discriminator's image input shape, ``latent_dim`` is invalid or
            inconsistent with the generator, or ``data_range`` or
            ``on_nonfinite`` is invalid.

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
        image_shape = self._image_shape_of(generator, discriminator)
        num_classes, integer_labels = (
            self._label_info(generator, discriminator) if conditional else (None, False)
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
        self._image_shape = image_shape
        self._num_classes = num_classes
        self._integer_labels = integer_labels
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
        self._eval_bad_batch_trackers = _guards.make_trackers("eval_")
        # Set by compile().
        self.d_optimizer = None
        self.g_optimizer = None
        self.loss_type = "non_saturating"
        self.gp_weight = 10.0
        self.d_steps = 1
        self.label_smoothing = 0.0
        self.joint_discriminator = False
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

    @staticmethod
    def _image_shape_of(generator, discriminator):
        """The images' shape ``(None, ...)`` (None if unknown); checks G against D."""
        g_out = output_shapes(generator)
        d_in = input_shapes(discriminator)
        if g_out is not None and len(g_out) != 1:
            raise ValueError(
                f"generator must have one output (images). Received outputs of shapes {g_out}"
            )
        g_shape = None if g_out is None else g_out[0]
        d_shape = None if d_in is None else d_in[0]
        if (
            g_shape is not None
            and d_shape is not None
            and not _compatible(g_shape[1:], d_shape[1:])
        ):
            raise ValueError(
                "The generator must output images of the discriminator's "
                f"input shape. Received: generator output shape {g_shape}, "
                f"discriminator image input shape {d_shape}"
            )
        shape = d_shape if d_shape is not None else g_shape
        return None if shape is None else (None, *shape[1:])

    @staticmethod
    def _label_info(generator, discriminator):
        """``(num_classes or None, integer_labels)`` of a conditional pair."""
        classes = {}
        integer = True
        for name, model in (("generator", generator), ("discriminator", discriminator)):
            try:
                label_input = model.inputs[1]
            except (AttributeError, IndexError, TypeError, ValueError):
                continue
            dtype = keras.backend.standardize_dtype(label_input.dtype)
            integer = integer and dtype.startswith(("int", "uint"))
            found = {
                layer.input_dim
                for layer in model.layers
                if isinstance(layer, keras.layers.Embedding)
                for node in layer._inbound_nodes
                if any(t is label_input for t in node.input_tensors)
            }
            if len(found) == 1:
                classes[name] = found.pop()
        if len(set(classes.values())) > 1:
            raise ValueError(
                "The generator and the discriminator must have the same "
                "number of classes. Received: "
                f"{classes['generator']} classes (generator), "
                f"{classes['discriminator']} classes (discriminator)"
            )
        num_classes = next(iter(classes.values()), None)
        return (num_classes, integer)

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

    def fit(self, *args, **kwargs):
        callbacks = kwargs.get("callbacks", args[5] if len(args) > 5 else None)
        for callback in callbacks or ():
            if isinstance(
                callback,
                (keras.callbacks.ReduceLROnPlateau, keras.callbacks.LearningRateScheduler),
            ):
                # They set model.optimizer.learning_rate; a GAN has none
                # (before: AttributeError on NoneType after the first epoch).
                raise ValueError(
                    f"GAN.fit: {type(callback).__name__} sets model.optimizer's "
                    "learning rate, and a GAN has two optimizers. Give "
                    "d_optimizer and g_optimizer a "
                    "keras.optimizers.schedules.LearningRateSchedule, or use a "
                    "callback that sets model.d_optimizer.learning_rate and "
                    "model.g_optimizer.learning_rate. Received: callbacks with "
                    f"a {type(callback).__name__}"
                )
        return super().fit(*args, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Keras' ``Model.export`` of ``call`` (``z`` or ``[z, labels]`` -> images).

        ``input_signature`` defaults to the generator's inputs (Keras
        refused a GAN that ``fit`` had trained but never called: "The model
        provided has never called"). For TF Serving, prefer
        ``kerasgen.export.export_for_serving``, whose signatures also check
        their inputs.
        """
        if input_signature is None:
            input_signature = [self._input_specs()]
        return super().export(
            filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs
        )

    def _input_specs(self):
        """``TensorSpec`` of ``z`` (and of the labels: ``[z, labels]``)."""
        z = tf.TensorSpec((None, self.latent_dim), "float32", name="latent")
        if not self.conditional:
            return z
        # Conditional: the generator is functional (its inputs are known).
        dtype = keras.backend.standardize_dtype(self.generator.inputs[1].dtype)
        return [z, tf.TensorSpec(self._label_shape, dtype, name="labels")]

    @property
    def metrics_names(self):
        # The order of evaluate()'s list: the metrics, then "loss" (logged,
        # not a metric); without it zip(metrics_names, results) lost "loss".
        return [m.name for m in self.metrics] + ["loss"]

    # --------------------------------------------------------------- saving

    def save_own_variables(self, store):
        super().save_own_variables(store)
        for key, attribute in _SEED_STATE_KEYS.items():
            store[key] = getattr(self, attribute).state
        _seed_states.save_seed_states(store, self._layer_seed_generators())

    def load_own_variables(self, store):
        keys = list(store.keys())
        for key, attribute in _SEED_STATE_KEYS.items():
            if key in keys:
                getattr(self, attribute).state.assign(store[key])
        keys = _seed_states.load_seed_states(store, keys, self._layer_seed_generators())
        super().load_own_variables(
            {k: store[k] for k in keys if k not in _SEED_STATE_KEYS}
        )

    def _layer_seed_generators(self):
        return _seed_states.seed_generators(self.generator, self.discriminator)

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
        # A deep copy: deserialising a functional sub-model empties its
        # config in place, so a second from_config of the same dict failed.
        config = copy.deepcopy(config)
        generator = keras.saving.deserialize_keras_object(
            config.pop("generator"), custom_objects=custom_objects
        )
        discriminator = keras.saving.deserialize_keras_object(
            config.pop("discriminator"), custom_objects=custom_objects
        )
        return cls(generator, discriminator, **config)
