"""Guards of the trainers' ``fit``/``evaluate`` paths (private): bad batches and exact resume.

A training step computes one flag per update: the batch is finite and within
the trainer's data range (and, for a conditional GAN, its labels are class
ids), the losses (and, without loss scaling, the gradients) are finite. The
optimizer update runs under ``tf.cond`` on that flag, so a bad batch never
touches the weights. The step also counts bad batches in
``keras.metrics.Sum`` trackers (distribution-aware) and returns the counts
under private log keys; ``GuardMixin`` wraps Keras' ``train_function`` (and
``test_function``: an evaluation step checks its batch the same way, with
trackers of its own, and leaves a bad batch out of the metrics) to pop
those keys and raise (or, for non-finite batches with
``on_nonfinite="skip"``, warn once) in Python, right after the step and
before any callback. An assertion inside the graph would not do: XLA
compiles ``tf.debugging`` assertions to no-ops.

The static shape of the batches is checked before each call of those
functions (on the ``element_spec`` of the data's iterator: Keras relaxes
the shapes when it retraces a step) and when the step is traced, so a batch
of the wrong shape fails with a message naming the expected shape instead
of an error from inside TensorFlow.

``seed_generators``/``save_seed_states``/``load_seed_states`` save the state
of every ``keras.random.SeedGenerator`` of the sub-models (Dropout layers,
``kerasgen.layers.Sampling``): Keras does not save them, and without them a
reloaded model does not continue a run exactly.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import warnings

import keras
import tensorflow as tf
from keras import ops

from kerasgen._checks import (
    allowed_range,
    check_value_range,
    range_check_enabled,
    rescale_hint,
)

ON_NONFINITE = ("raise", "skip")
NONFINITE_KEY = "_kerasgen_nonfinite_batches"
OUT_OF_RANGE_KEY = "_kerasgen_out_of_range_batches"
BAD_LABELS_KEY = "_kerasgen_bad_label_batches"
_KEYS = (NONFINITE_KEY, OUT_OF_RANGE_KEY, BAD_LABELS_KEY)
_SEED_STATE_PREFIX = "layer_seed_state_"


def check_on_nonfinite(on_nonfinite):
    """Checks the ``on_nonfinite`` argument of a trainer."""
    if on_nonfinite not in ON_NONFINITE:
        raise ValueError(
            f"on_nonfinite must be one of {list(ON_NONFINITE)}. "
            f"Received: on_nonfinite={on_nonfinite!r}"
        )
    return on_nonfinite


def check_data_range_arg(data_range):
    """Checks a trainer's ``data_range``: None or a pair ``(lo, hi)``."""
    if data_range is None:
        return None
    return check_value_range(data_range, "data_range")


def make_trackers(prefix=""):
    """The bad-batch counters of a trainer (not reset between epochs).

    Returns:
        ``(nonfinite, out_of_range, bad_labels)`` ``keras.metrics.Sum``s.
    """
    return (
        keras.metrics.Sum(name=f"{prefix}nonfinite_batches"),
        keras.metrics.Sum(name=f"{prefix}out_of_range_batches"),
        keras.metrics.Sum(name=f"{prefix}bad_label_batches"),
    )


def range_bounds(data_range):
    """``allowed_range(data_range)``, or None when the range is not checked.

    None when ``data_range`` is None or the range check is turned off
    (``kerasgen.set_range_check(False)``).
    """
    if data_range is None or not range_check_enabled():
        return None
    return allowed_range(data_range)


def check_batch_shape(tensor, expected, where):
    """Checks the static shape of a batch of images (when a step is traced).

    Returns:
        ``tensor``, with its shape set to ``expected`` when its rank is
        unknown (a batch of another shape then fails when the step runs).

    Raises:
        ValueError: See `check_shape`.
    """
    if expected is not None and tensor.shape.rank is None:
        return tf.ensure_shape(tensor, expected)
    check_shape(tensor.shape, expected, where)
    return tensor


def check_array(value, name, where):
    """Checks that a batch's images (or labels) are one array, not a structure.

    Raises:
        TypeError: If ``value`` is a dict, list or tuple (e.g. a dataset
            yielding ``{"images": ...}`` dicts), which the steps do not
            unpack; before, this failed with an AttributeError.
    """
    if isinstance(value, (dict, list, tuple)) or not hasattr(value, "shape"):
        keys = f" with keys {sorted(map(str, value))}" if isinstance(value, dict) else ""
        raise TypeError(
            f"{where}: batches must be arrays of {name}, or tuples (images, labels); dicts and "
            f"other nested structures are not unpacked. Received: {name} of type "
            f"{type(value).__name__}{keys}"
        )
    return value


def check_shape(shape, expected, where):
    """Checks the static shape of a batch against ``expected``.

    Args:
        shape: The batch's ``tf.TensorShape`` (of a tensor or a spec).
        expected: The expected shape ``(None, ...)``; dimensions that are
            None are not checked. Nothing is checked when None, nor when
            the rank of ``shape`` is unknown.
        where: E.g. ``"GAN.fit"``, for the message.

    Raises:
        ValueError: If the known dimensions do not match.
    """
    if expected is None or shape.rank is None:
        return
    expected = tuple(expected)
    received = tuple(shape)
    if len(received) == len(expected) and all(
        e is None or r is None or e == r for r, e in zip(received, expected)
    ):
        return
    hint = ""
    if len(received) == len(expected) - 1 and expected[-1] == 1 and all(
        e is None or r is None or e == r for r, e in zip(received, expected[:-1])
    ):
        hint = "; add a channel axis with x[..., None]"
    raise ValueError(
        f"{where}: batches of images of shape {expected} expected. "
        f"Received: {received}{hint}"
    )


def all_finite(*tensors):
    """Scalar bool tensor: every value of every (non-None) tensor is finite."""
    flags = [
        tf.reduce_all(tf.math.is_finite(tf.cast(t, "float32")))
        for t in tf.nest.flatten(tensors)
        if t is not None
    ]
    return tf.reduce_all(tf.stack(flags)) if flags else tf.constant(True)


def in_range(images, bounds):
    """Scalar bool tensor: the finite values of ``images`` are within ``bounds``.

    ``bounds`` is ``(low, high)`` (e.g. `range_bounds` of a data range: the
    range widened by its span on either side), or None: always True.
    """
    if bounds is None:
        return tf.constant(True)
    low, high = bounds
    images = tf.cast(images, "float32")
    finite = tf.math.is_finite(images)
    low_ok = tf.reduce_all(tf.where(finite, images, low) >= low)
    high_ok = tf.reduce_all(tf.where(finite, images, high) <= high)
    return tf.logical_and(low_ok, high_ok)


def agree(flag):
    """``flag`` AND-ed over the replicas (each sees its own slice of the batch)."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return flag
    bad = context.all_reduce(
        tf.distribute.ReduceOp.SUM, tf.cast(tf.logical_not(flag), "float32")
    )
    return tf.equal(bad, 0.0)


def apply_if(flag, optimizer, grads, variables):
    """``optimizer.apply(grads, variables)`` only where ``flag`` is True.

    ``flag`` must be the same on every replica (see `agree`).
    """

    def apply():
        optimizer.apply(grads, variables)

    if not tf.distribute.has_strategy() or (
        tf.__internal__.distribute.strategy_supports_no_merge_call()
    ):
        ops.cond(flag, apply, lambda: None)
        return

    def cross_replica(distribution, flag, grads):
        first = distribution.experimental_local_results(flag)[0]

        def apply_everywhere():
            distribution.extended.call_for_each_replica(
                lambda g: optimizer.apply(g, variables), args=(grads,)
            )

        tf.cond(first, apply_everywhere, lambda: None)

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(flag, grads))


def grads_checked(optimizer):
    """Whether gradients need their own finiteness check.

    Not under loss scaling: a ``LossScaleOptimizer`` expects (and skips)
    overflowing gradients while it adjusts its scale.
    """
    return not isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def update_masked(tracker, values, flag):
    """Updates a ``Mean`` tracker with ``values`` only where ``flag`` is True."""
    values = tf.cast(values, "float32")
    weight = tf.broadcast_to(tf.cast(flag, "float32"), tf.shape(values))
    tracker.update_state(tf.where(tf.cast(weight, "bool"), values, 0.0), sample_weight=weight)


def count_bad(trackers, finite, range_ok, labels_ok=True):
    """Counts a bad batch in the trackers; returns their totals as logs."""
    logs = {}
    for key, tracker, flag in zip(_KEYS, trackers, (finite, range_ok, labels_ok)):
        tracker.update_state(tf.cast(tf.logical_not(flag), "float32"))
        logs[key] = tracker.result()
    return logs


class GuardMixin:
    """Wraps Keras' train and test functions to act on the counts of bad batches.

    The trainer sets ``self.on_nonfinite``, ``self.data_range``,
    ``self._bad_batch_trackers`` and ``self._eval_bad_batch_trackers`` (see
    `make_trackers`) and returns `count_bad`'s logs from its ``train_step``
    and ``test_step``; ``self._applied_steps()`` gives the number of updates
    applied so far (to name the failing step), and
    ``self._check_batch_shapes(data, where)`` checks the static shapes of a
    batch (here of the iterator's ``element_spec``). ``_range_bounds`` and
    ``_range_message`` (overridable) give the bounds the steps check and
    how the error describes them.
    """

    def make_train_function(self, force=False):
        super().make_train_function(force=force)
        self.train_function = self._guard(self.train_function, "fit")
        return self.train_function

    def make_test_function(self, force=False):
        super().make_test_function(force=force)
        self.test_function = self._guard(self.test_function, "evaluate")
        return self.test_function

    def _guard(self, function, phase):
        if getattr(function, "_kerasgen_guarded", False):
            return function

        where = f"{type(self).__name__}.{phase}"

        def guarded(iterator):
            spec = getattr(iterator, "element_spec", None)
            if spec is not None and all(
                isinstance(s, tf.TensorSpec) for s in tf.nest.flatten(spec)
            ):
                self._check_batch_shapes(spec, where)
            logs = dict(function(iterator))
            counts = tuple(int(logs.pop(key, 0)) for key in _KEYS)
            self._check_bad_batches(counts, phase)
            return logs

        guarded._kerasgen_guarded = True
        return guarded

    def _range_bounds(self):
        """``(low, high)`` the steps check the batches against, or None."""
        return range_bounds(self.data_range)

    def _range_message(self):
        """``(what, hint)``: the values refused and how to fix them."""
        low, high = allowed_range(self.data_range)
        return (
            f"values outside [{low:g}, {high:g}], far outside data_range={self.data_range}",
            f"{rescale_hint(self.data_range)} Or pass data_range=None to the {type(self).__name__}.",
        )

    def _bad_labels_message(self):
        """What the labels of a batch must be (trainers with labels override it)."""
        return "labels that are not valid class ids"

    def _check_bad_batches(self, counts, phase="fit"):
        nonfinite, out_of_range, bad_labels = counts
        attribute = "_bad_batches_seen" if phase == "fit" else "_eval_bad_batches_seen"
        seen = getattr(self, attribute, (0, 0, 0))
        setattr(self, attribute, (nonfinite, out_of_range, bad_labels))
        name = type(self).__name__
        if phase == "fit":
            last = self._applied_steps() + nonfinite + out_of_range + bad_labels
            per_call = getattr(self, "steps_per_execution", 1) or 1
            step = f"training step {last}" if per_call == 1 else f"one of training steps {max(last - per_call + 1, 1)}-{last}"
            step += " of this model"
            batch = f"a training batch has {{}} ({step}); the update was not applied"
        else:
            batch = "a batch of evaluate (or of fit's validation_data) has {}"
        if bad_labels > seen[2]:
            raise ValueError(
                f"{name}.{phase}: " + batch.format(self._bad_labels_message()) + ". "
                "Received: a batch with bad labels"
            )
        if out_of_range > seen[1]:
            what, hint = self._range_message()
            raise ValueError(
                f"{name}.{phase}: " + batch.format(what) + f". {hint} "
                "Received: a batch out of range"
            )
        if nonfinite > seen[0]:
            if self.on_nonfinite == "raise":
                if phase == "fit":
                    problem = (
                        "NaN or inf in a training batch, its losses or "
                        f"gradients at {step}; the update was not applied, so "
                        "the weights are still finite"
                    )
                else:
                    problem = (
                        "NaN or inf in a batch of evaluate (or of fit's "
                        "validation_data) or in its losses"
                    )
                raise ValueError(
                    f"{name}.{phase}: {problem}. Check the data "
                    "(e.g. with np.isfinite) and the learning rate, or pass "
                    f"on_nonfinite='skip' to the {name} to skip such batches. "
                    f"Received: on_nonfinite='raise'"
                )
            if seen[0] == 0:
                if phase == "fit":
                    skipped = f"a training batch with NaN or inf values ({step}"
                else:
                    skipped = (
                        "a batch with NaN or inf values, left out of the "
                        "metrics (evaluate or fit's validation_data"
                    )
                warnings.warn(
                    f"{name}.{phase} skipped {skipped}; on_nonfinite='skip'). "
                    "Further skipped batches are not reported.",
                    RuntimeWarning,
                    stacklevel=2,
                )


# ----------------------------------------------------------- seed states


def seed_generators(*models):
    """Every ``SeedGenerator`` of the layers of ``models``, in a fixed order."""
    found, seen = [], set()
    for model in models:
        for layer in model._flatten_layers(include_self=True):
            for generator in getattr(layer, "_seed_generators", ()):
                if id(generator) not in seen:
                    seen.add(id(generator))
                    found.append(generator)
    return found


def save_seed_states(store, generators):
    """Writes the states of ``generators`` into a Keras variable ``store``."""
    for index, generator in enumerate(generators):
        store[f"{_SEED_STATE_PREFIX}{index}"] = generator.state


def load_seed_states(store, keys, generators):
    """Restores states written by `save_seed_states` (absent keys are skipped).

    Returns:
        The keys of ``store`` that are not seed states.
    """
    for index, generator in enumerate(generators):
        key = f"{_SEED_STATE_PREFIX}{index}"
        if key in keys:
            value = store[key]
            if tuple(value.shape) == tuple(generator.state.shape):
                generator.state.assign(value)
    return [k for k in keys if not k.startswith(_SEED_STATE_PREFIX)]
