"""``GAN.train_step`` / ``test_step`` / ``predict_step`` and the losses they use (a mixin of the model).

One training step, for ``d_steps=1``::

    fake = G(z)                                  # recorded for the generator update
    D <- D - lr * grad_D d_loss(D(real), D(fake))
    G <- G - lr * grad_G g_loss(D'(fake))        # D' = the updated discriminator

The generator update reuses the generator's forward pass of the
discriminator update (same ``z``, same weights, so the same images): its
gradient flows from the updated discriminator back into the recorded
forward pass. The updates are the alternating updates of Goodfellow et al.
(the generator's loss is measured by the updated discriminator); only the
noise of the generator update is the discriminator update's instead of a
fresh draw, which saves one generator forward pass per step. When the
discriminator treats examples independently (no BatchNormalization; see
``GAN.compile(joint_discriminator=...)``), real and generated images go
through it in one call on a concatenated batch.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import tensorflow as tf
from keras import ops

from kerasgen import losses
from kerasgen._distribute import replica_random
from kerasgen.trainers import _guards, _replica, _step_flags


class GANStepsMixin:
    """``train_step``, ``test_step`` and ``predict_step`` of :class:`kerasgen.GAN`."""

    def _unpack(self, data, where):
        """``(images, labels, labels_ok)`` of a batch; ``where`` is e.g. ``"GAN.fit"``.

        ``labels_ok`` is a scalar bool tensor: the labels are class ids. The
        labels of a batch that is not are replaced by zeros (so that the
        step runs; its update is not applied).
        """
        self._check_batch_shapes(data, where)
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        images = _guards.check_batch_shape(images, self._image_shape, where)
        images = ops.cast(images, "float32")
        if not self.conditional:
            return images, None, tf.constant(True)
        return (images, *self._checked_labels(labels))

    def _checked_labels(self, labels):
        """``(labels, labels_ok)`` of a batch (see `_unpack`).

        The labels get the shape of the generator's label input: class ids
        of shape ``(batch,)`` become ``(batch, 1)``, and a batch whose rank
        Keras relaxed to unknown (after batches of both shapes) gets its
        static shape back, which the sub-models need. Their static shape
        was checked before (`_check_label_shape`).
        """
        labels = tf.convert_to_tensor(labels)
        expected = self._label_shape
        if expected is not None:
            if len(expected) == 2 and expected[1] == 1:
                labels = tf.reshape(labels, (-1, 1))
            elif labels.shape.rank is None:
                labels = tf.ensure_shape(labels, expected)
        if not self._integer_labels:
            return labels, tf.constant(True)
        ok = tf.reduce_all(labels >= 0)
        if self._num_classes is not None:
            ok = tf.logical_and(ok, tf.reduce_all(labels < self._num_classes))
        if labels.dtype.is_floating:
            # Not a float such as 3.7 (a cast would truncate it) or NaN.
            ok = tf.logical_and(ok, tf.reduce_all(tf.equal(labels, tf.round(labels))))
        return tf.where(ok, labels, tf.zeros_like(labels)), ok

    def _check_batch_shapes(self, data, where):
        """Checks the static shapes of a batch (of tensors or specs)."""
        images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        _guards.check_no_sample_weight(sample_weight, where)
        _guards.check_shape(_guards.check_array(images, "images", where).shape, self._image_shape, where)
        if not self.conditional:
            return
        if labels is None:
            raise ValueError(
                "A conditional GAN trains on (images, labels) batches. "
                "Received batches without labels."
            )
        self._check_label_shape(_guards.check_array(labels, "labels", where).shape, where)

    def _check_label_shape(self, shape, where):
        """Checks the static shape of a batch of labels."""
        expected = self._label_shape
        shape = tf.TensorShape(shape)
        if expected is None or shape.rank is None:
            return
        received = tuple(shape)
        ids = len(expected) == 2 and expected[1] == 1
        if (ids and len(received) == 1) or (
            len(received) == len(expected)
            and all(e is None or r is None or e == r for r, e in zip(received, expected))
        ):
            return
        if ids:
            hint = ""
            if len(received) == 2:
                hint = "; for one-hot labels pass np.argmax(labels, axis=-1)"
            raise ValueError(
                f"{where}: labels must be integer class ids of shape (batch,) "
                f"or (batch, 1). Received: labels of shape {received}{hint}"
            )
        raise ValueError(
            f"{where}: batches of labels of shape {expected} expected. "
            f"Received: labels of shape {received}"
        )

    def _predict_inputs(self, data, where):
        """``(z, labels or None)`` of a batch of ``predict`` (tensors or specs).

        A conditional GAN predicts from ``[z, labels]`` (or a dataset of
        ``(z, labels)`` tuples); an unconditional one from ``z``.
        """
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not self.conditional:
            return _guards.check_array(x, "latent vectors", where), None
        if isinstance(x, (list, tuple)) and len(x) == 2:
            z, labels = x
        elif y is not None and not isinstance(x, (list, tuple, dict)):
            z, labels = x, y
        else:
            raise ValueError(
                f"{where}: a conditional GAN predicts from [z, labels]. "
                f"Received: inputs of type {type(x).__name__}"
            )
        return (
            _guards.check_array(z, "latent vectors", where),
            _guards.check_array(labels, "labels", where),
        )

    def _check_predict_shapes(self, data, where):
        """Checks the static shapes of a batch of ``predict``."""
        z, labels = self._predict_inputs(data, where)
        _guards.check_shape(z.shape, (None, self.latent_dim), where, "latent vectors")
        if labels is not None:
            self._check_label_shape(labels.shape, where)

    def predict_step(self, data):
        """Generates images from a batch of ``z`` (or ``[z, labels]``), checked.

        The batch is checked as ``fit`` checks its batches: latent vectors
        of shape ``(batch, latent_dim)``, labels that are class ids; NaN or
        inf in ``z`` or in the images is refused (see ``on_nonfinite``).
        """
        where = "GAN.predict"
        self._check_predict_shapes(data, where)
        z, labels = self._predict_inputs(data, where)
        z = _guards.check_batch_shape(
            ops.cast(z, "float32"), (None, self.latent_dim), where, "latent vectors"
        )
        labels_ok = tf.constant(True)
        if labels is not None:
            labels, labels_ok = self._checked_labels(labels)
        images = self([z, labels] if self.conditional else z, training=False)
        return _step_flags.predict_outputs(
            images, _step_flags.all_finite(z, images), labels_ok=labels_ok
        )

    def _bad_labels_message(self):
        classes = "integers >= 0" if self._num_classes is None else (
            f"integers in [0, num_classes={self._num_classes})"
        )
        return f"labels that are not class ids ({classes})"

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
        return ops.cast(self.generator(inputs, training=training), "float32")

    def _discriminate(self, images, labels, training):
        inputs = [images, labels] if self.conditional else images
        return ops.cast(self.discriminator(inputs, training=training), "float32")

    def _discriminate_pair(self, images, fake, labels, training):
        """``(real_logits, fake_logits)``, in one call when the discriminator allows it."""
        if not self.joint_discriminator:
            return (
                self._discriminate(images, labels, training),
                self._discriminate(fake, labels, training),
            )
        batch = ops.shape(images)[0]
        both = ops.concatenate([images, fake], axis=0)
        both_labels = None if labels is None else ops.concatenate([labels, labels], axis=0)
        logits = self._discriminate(both, both_labels, training)
        return logits[:batch], logits[batch:]

    def _generator_loss(self, fake_logits):
        if self.loss_type == "non_saturating":
            return losses.non_saturating_generator_loss(fake_logits)
        if self.loss_type == "hinge":
            return losses.hinge_generator_loss(fake_logits)
        return losses.wasserstein_generator_loss(fake_logits)

    def _discriminator_loss(self, images, labels, fake, training):
        """Returns per-example ``(total, gradient_penalty or None, fake_logits)``."""
        real_logits, fake_logits = self._discriminate_pair(images, fake, labels, training)
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
        images, labels, labels_ok = self._unpack(data, "GAN.fit")
        batch = ops.shape(images)[0]
        range_ok = _step_flags.agree(_step_flags.in_range(images, self._range_bounds()))
        labels_ok = _step_flags.agree(labels_ok)
        valid = tf.logical_and(range_ok, labels_ok)
        data_ok = tf.logical_and(valid, _step_flags.agree(_step_flags.all_finite(images)))
        finite = data_ok
        d_variables = self.discriminator.trainable_variables
        g_variables = self.generator.trainable_variables
        for step in range(self.d_steps):
            z = self._noise(batch)
            if step == self.d_steps - 1:
                # Recorded: the generator update below reuses this forward pass.
                with tf.GradientTape() as g_tape:
                    fake = self._generate(z, labels, training=True)
                    g_regularization = self.g_optimizer.scale_loss(
                        _replica.scaled_regularization(self.generator)
                    )
            else:
                fake = self._generate(z, labels, training=True)
            with tf.GradientTape() as tape:
                d_per_example, penalty, _ = self._discriminator_loss(
                    images, labels, tf.stop_gradient(fake), training=True
                )
                d_loss = _replica.global_average(d_per_example)
                d_loss = d_loss + _replica.scaled_regularization(self.discriminator)
                scaled_loss = self.d_optimizer.scale_loss(d_loss)
            grads = tape.gradient(scaled_loss, d_variables)
            ok = self._step_ok(data_ok, d_per_example, penalty, grads, self.d_optimizer)
            finite = tf.logical_and(finite, ok)
            _step_flags.apply_if(ok, self.d_optimizer, grads, d_variables)
            _step_flags.update_masked(self.d_loss_tracker, d_per_example, ok)
            if penalty is not None:
                _step_flags.update_masked(self.gp_tracker, penalty, ok)

        # Generator update: the updated discriminator judges the same images.
        with tf.GradientTape() as tape:
            tape.watch(fake)
            g_per_example = self._generator_loss(self._discriminate(fake, labels, training=True))
            scaled_loss = self.g_optimizer.scale_loss(_replica.global_average(g_per_example))
        fake_grads = tape.gradient(scaled_loss, fake)
        targets, target_grads = [fake], [fake_grads]
        if self.generator.losses:
            targets.append(g_regularization)
            target_grads.append(ops.ones_like(g_regularization))
        grads = g_tape.gradient(targets, g_variables, output_gradients=target_grads)
        ok = self._step_ok(finite, g_per_example, None, grads, self.g_optimizer)
        _step_flags.apply_if(ok, self.g_optimizer, grads, g_variables)
        _step_flags.update_masked(self.g_loss_tracker, g_per_example, ok)
        logs = self._logs()
        finite = tf.logical_or(tf.logical_not(valid), ok)  # one cause per batch
        logs.update(_step_flags.count_bad(self._bad_batch_trackers, finite, range_ok, labels_ok))
        return logs

    def _step_ok(self, data_ok, per_example, penalty, grads, optimizer):
        """Whether an update may be applied (same value on every replica)."""
        checked = [per_example, penalty]
        if _step_flags.grads_checked(optimizer):
            checked.append(grads)
        return tf.logical_and(data_ok, _step_flags.agree(_step_flags.all_finite(*checked)))

    def _logs(self):
        logs = {m.name: m.result() for m in self.metrics}
        logs["loss"] = logs["d_loss"] + logs["g_loss"]
        return logs

    def _applied_steps(self):
        return int(self.g_optimizer.iterations.numpy())

    def test_step(self, data):
        images, labels, labels_ok = self._unpack(data, "GAN.evaluate")
        range_ok = _step_flags.agree(_step_flags.in_range(images, self._range_bounds()))
        labels_ok = _step_flags.agree(labels_ok)
        valid = tf.logical_and(range_ok, labels_ok)
        z = self._noise(ops.shape(images)[0], training=False)
        fake = self._generate(z, labels, training=False)
        d_per_example, penalty, fake_logits = self._discriminator_loss(
            images, labels, fake, training=False
        )
        g_per_example = self._generator_loss(fake_logits)
        ok = tf.logical_and(
            valid,
            _step_flags.agree(_step_flags.all_finite(images, d_per_example, penalty, g_per_example)),
        )
        _step_flags.update_masked(self.d_loss_tracker, d_per_example, ok)
        if penalty is not None:
            _step_flags.update_masked(self.gp_tracker, penalty, ok)
        _step_flags.update_masked(self.g_loss_tracker, g_per_example, ok)
        logs = self._logs()
        finite = tf.logical_or(tf.logical_not(valid), ok)  # one cause per batch
        logs.update(
            _step_flags.count_bad(self._eval_bad_batch_trackers, finite, range_ok, labels_ok)
        )
        return logs
