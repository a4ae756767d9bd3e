"""``GAN.compile``: losses, optimizers and their saved config (a mixin of the model)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras

from kerasgen._checks import check_float, check_int
from kerasgen.trainers import _optimizers, _replica

_LOSSES = ("non_saturating", "hinge", "wgan_gp")


def _radford_adam():
    # DCGAN defaults (Radford et al., 2016).
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def _wgan_gp_adam():
    # WGAN-GP defaults (Gulrajani et al., 2017, Algorithm 1).
    return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.0, beta_2=0.9)


def _mixes_examples(model):
    """Whether ``model`` has layers whose training output mixes the batch's examples."""
    return any(
        isinstance(layer, keras.layers.BatchNormalization)
        for layer in model._flatten_layers(include_self=False)
    )


class GANCompileMixin:
    """``compile`` of :class:`kerasgen.GAN` and its compile-config round trip."""

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        loss="non_saturating",
        gp_weight=10.0,
        d_steps=1,
        label_smoothing=0.0,
        joint_discriminator="auto",
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
            joint_discriminator: ``"auto"`` (default), True or False. True
                runs the discriminator once per update on real and
                generated images concatenated (one call of twice the batch
                instead of two calls: the same losses when the
                discriminator treats each image independently). ``"auto"``
                is True unless the discriminator has BatchNormalization
                layers, whose batch statistics would then mix real and
                generated images (pass False for other layers that compare
                the images of a batch, e.g. minibatch standard deviation).
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
        if joint_discriminator != "auto" and not isinstance(joint_discriminator, bool):
            raise ValueError(
                "joint_discriminator must be 'auto', True or False. "
                f"Received: joint_discriminator={joint_discriminator!r}"
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
        self.joint_discriminator = (
            not _mixes_examples(self.discriminator)
            if joint_discriminator == "auto"
            else joint_discriminator
        )
        self._gan_compile_config = {
            "d_optimizer": d_opt,  # as given (unwrapped), resolved
            "g_optimizer": g_opt,
            "loss": loss,
            "gp_weight": self.gp_weight,
            "d_steps": self.d_steps,
            "label_smoothing": self.label_smoothing,
            "joint_discriminator": joint_discriminator,
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
