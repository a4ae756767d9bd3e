"""Guards of the trainers' ``fit``/``evaluate``/``predict`` paths (private): bad batches, bad arguments.

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

``predict_step`` returns its batch's flags with the outputs (see
`predict_outputs`); ``GuardMixin``'s predict function pops them and raises
on a bad batch (out-of-range class ids, 0-255 images, NaN/inf), so
``predict`` and ``predict_on_batch`` refuse what ``fit`` refuses.

The static shape of the batches is checked before each call of those
functions (on the ``element_spec`` of the data's iterator: Keras relaxes
the shapes when it retraces a step) and when the step is traced, so a batch
of the wrong shape fails with a message naming the expected shape instead
of an error from inside TensorFlow.

The in-graph flags and updates live in `kerasgen.trainers._step_flags`, the
saved states of the sub-models' random generators (exact resume) in
`kerasgen.trainers._seed_states`.
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen._checks import (
    allowed_range,
    check_value_range,
    range_check_enabled,
    rescale_hint,
)
from kerasgen.trainers._step_flags import KEYS

ON_NONFINITE = ("raise", "skip")


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


def check_batch_shape(tensor, expected, where, name="images"):
    """Checks the static shape of a batch of images (when a step is traced).

    Returns:
        ``tensor``, with its shape set to ``expected`` when its rank is
        unknown (a batch of another shape then fails when the step runs).

    Raises:
        ValueError: See `check_shape`.
    """
    if expected is not None and tensor.shape.rank is None:
        return tf.ensure_shape(tensor, expected)
    check_shape(tensor.shape, expected, where, name)
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


def check_no_sample_weight(sample_weight, where, received="batches of (x, y, sample_weight)"):
    """Refuses sample weights (``fit(sample_weight=...)``, ``class_weight``).

    The trainers weigh every image equally; before, the weights of
    ``(x, y, sample_weight)`` batches were silently ignored.

    Raises:
        ValueError: If ``sample_weight`` is not None.
    """
    if sample_weight is None:
        return
    trainer = where.split(".")[0]
    raise ValueError(
        f"{where}: sample weights are not supported (nor class_weight, which "
        f"Keras turns into sample weights): the {trainer} weighs every image "
        f"equally. Received: {received}"
    )


def check_shape(shape, expected, where, name="images"):
    """Checks the static shape of a batch against ``expected``.

    Args:
        shape: The batch's ``tf.TensorShape`` (of a tensor or a spec).
        expected: The expected shape ``(None, ...)``; dimensions that are
            None are not checked. Nothing is checked when None, nor when
            the rank of ``shape`` is unknown.
        where: E.g. ``"GAN.fit"``, for the message.
        name: What the batch holds, for the message.

    Raises:
        ValueError: If the known dimensions do not match.
    """
    shape = tf.TensorShape(shape)
    if expected is None or shape.rank is None:
        return
    expected = tuple(expected)
    received = tuple(shape)
    if len(received) == len(expected) and all(
        e is None or r is None or e == r for r, e in zip(received, expected)
    ):
        return
    hint = ""
    if name == "images" and len(received) == len(expected) - 1 and expected[-1] == 1 and all(
        e is None or r is None or e == r for r, e in zip(received, expected[:-1])
    ):
        hint = "; add a channel axis with x[..., None]"
    raise ValueError(
        f"{where}: batches of {name} of shape {expected} expected. "
        f"Received: {received}{hint}"
    )


def check_save_path(filepath, name):
    """Refuses the legacy HDF5 format for ``model.save`` of a trainer.

    Keras' ``.h5`` writer fails on a GAN (``AttributeError: 'NoneType'
    object has no attribute 'weights'``: it has two optimizers) and writes
    a VAE file that ``keras.models.load_model`` cannot read back ("Unknown
    layer: 'VAE'"); neither would hold the noise states.

    Raises:
        ValueError: If ``filepath`` ends with ``.h5`` or ``.hdf5``.
    """
    path = str(filepath)
    if path.lower().endswith((".h5", ".hdf5")):
        raise ValueError(
            f"{name}.save: the legacy HDF5 format cannot hold a {name} (its "
            "optimizer and noise states); save to a .keras file, or save "
            "the weights only with save_weights('....weights.h5'). "
            f"Received: filepath={path!r}"
        )


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
    how the error describes them. ``self._check_predict_shapes(data,
    where)`` checks a batch of ``predict``. ``fit``/``evaluate`` refuse
    ``sample_weight``/``class_weight``.
    """

    def save(self, filepath, *args, **kwargs):
        check_save_path(filepath, type(self).__name__)
        return super().save(filepath, *args, **kwargs)

    def fit(self, *args, **kwargs):
        # Keras drops sample_weight= silently when y is None: refused here.
        self._refuse_weights(kwargs, "fit", ("sample_weight", "class_weight"))
        return super().fit(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        self._refuse_weights(kwargs, "evaluate", ("sample_weight",))
        return super().evaluate(*args, **kwargs)

    def _refuse_weights(self, kwargs, phase, keys):
        for key in keys:
            if kwargs.get(key) is not None:
                check_no_sample_weight(
                    kwargs[key],
                    f"{type(self).__name__}.{phase}",
                    f"{key} of type {type(kwargs[key]).__name__}",
                )

    def make_train_function(self, force=False):
        super().make_train_function(force=force)
        self.train_function = self._guard(self.train_function, "fit")
        return self.train_function

    def make_test_function(self, force=False):
        super().make_test_function(force=force)
        self.test_function = self._guard(self.test_function, "evaluate")
        return self.test_function

    def make_predict_function(self, force=False):
        super().make_predict_function(force=force)
        function = self.predict_function
        if getattr(function, "_kerasgen_guarded", False):
            return function
        where = f"{type(self).__name__}.predict"

        def guarded(data):
            # ``data``: the batches of one call (arrays or tensors, not an
            # iterator): their static shapes are checked here, as Keras
            # relaxes the shapes when it retraces the step.
            for batch in data:
                if all(hasattr(t, "shape") for t in tf.nest.flatten(batch)):
                    self._check_predict_shapes(batch, where)
            outputs = dict(function(data))
            # NumPy sums: keras.ops.sum costs ~65 us a call, a third of a
            # small batch's overhead (3 flags per batch).
            counts = tuple(
                int(np.sum(ops.convert_to_numpy(outputs.pop(key)))) for key in KEYS
            )
            self._check_predict_batches(counts)
            return outputs["outputs"]

        guarded._kerasgen_guarded = True
        self.predict_function = guarded
        return guarded

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
            counts = tuple(int(logs.pop(key, 0)) for key in KEYS)
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

    def _check_predict_batches(self, counts):
        """Raises (or warns, for NaN/inf with ``on_nonfinite="skip"``) on bad predict batches."""
        nonfinite, out_of_range, bad_labels = counts
        name = type(self).__name__
        if bad_labels:
            raise ValueError(
                f"{name}.predict: a batch has {self._bad_labels_message()}. "
                "Received: a batch with bad labels"
            )
        if out_of_range:
            what, hint = self._range_message()
            raise ValueError(
                f"{name}.predict: a batch has {what}. {hint} Received: a batch out of range"
            )
        if not nonfinite:
            return
        if self.on_nonfinite == "raise":
            raise ValueError(
                f"{name}.predict: NaN or inf in a batch of inputs or in its "
                "outputs. Check the inputs (e.g. with np.isfinite) and the "
                "weights, or pass on_nonfinite='skip' to the "
                f"{name} to get the NaN outputs with a warning. "
                "Received: on_nonfinite='raise'"
            )
        warnings.warn(
            f"{name}.predict: NaN or inf in a batch of inputs or in its "
            "outputs; its outputs are returned as computed "
            "(on_nonfinite='skip').",
            RuntimeWarning,
            stacklevel=2,
        )

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
