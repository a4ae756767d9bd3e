"""Recipe: train a U-Net restorer on patches, with resumable checkpoints."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import importlib.util
import math
import numbers
import os
import warnings

import keras
import tensorflow as tf

from kerasgen._checks import check_interval, check_jit_compile, check_keras_model, check_positive_int, check_seed
from kerasgen.data.restoration_pairs import make_restoration_dataset
from kerasgen.distribution import (
    get_strategy,
    remove_worker_dir,
    shard_by_data,
    worker_out_dir,
)
from kerasgen.inference import size_multiple
from kerasgen.losses import psnr_loss
from kerasgen.metrics import psnr
from kerasgen.models.unet import build_unet
from kerasgen.precision import precision_scope, resolve_precision
from kerasgen.recipes._outputs import (
    CheckedBackupAndRestore,
    check_callbacks,
    check_completed_run,
    check_out_dir_apart,
    discard_previous_run,
    resumed_epoch,
)
from kerasgen.recipes._unet_checkpoints import (
    BestInferenceCheckpoint,
    InferenceCheckpoint,
    read_best,
)
from kerasgen.recipes._unet_validation import check_validation_apart, validation_pairs
from kerasgen.restoration._validation import check_sigma

LOSSES = ("mae", "mse", "psnr")
BEST_MODEL = "best.keras"
LAST_MODEL = "last.keras"
BACKUP_DIR = "backup"
LOGS_DIR = "logs"
HISTORY_CSV = "history.csv"


def train_unet(
    data,
    out_dir,
    *,
    epochs=50,
    steps_per_epoch=400,
    patch_size=64,
    batch_size=16,
    sigma_range=(0.0, 55 / 255),
    sigma_power=1.0,
    degradation="gaussian",
    model=None,
    model_kwargs=None,
    loss="mae",
    learning_rate=1e-3,
    cosine_decay=True,
    validation_data=None,
    validation_sigma=25 / 255,
    channels=1,
    seed=0,
    jit_compile="auto",
    precision="auto",
    strategy=None,
    callbacks=None,
    overwrite=False,
    verbose="auto",
):
    """Trains a U-Net restorer on random patches; resumable, checkpointed.

    Pairs come from :func:`kerasgen.data.make_restoration_dataset` (random
    patches, flips/rotations, on-the-fly ``degradation``). The model is
    compiled with Adam (``learning_rate``, optionally cosine-decayed to 1% over
    the whole run), the ``loss`` and :func:`kerasgen.metrics.psnr` (of the
    unclipped output), and fitted with:

    * ``keras.callbacks.BackupAndRestore(out_dir/"backup")`` (two
      checkpoints, so a run killed while writing one still resumes): running
      the same call again after an interruption resumes at the epoch after the
      last completed one, with the weights and optimizer state of that epoch
      (the backup is deleted when training completes);
    * ``keras.callbacks.ModelCheckpoint`` writing ``out_dir/"best.keras"``
      (best ``val_psnr``, or lowest training loss without validation data)
      and ``out_dir/"last.keras"`` at every epoch, each written to a
      temporary file first and renamed, so never half-written. These are
      inference files: the model converted to float32
      (:func:`kerasgen.precision.to_float32`) without optimizer state, so
      they load and predict in float32 whatever ``precision`` trained them
      (the training state lives in the backup);
    * ``keras.callbacks.CSVLogger(out_dir/"history.csv", append=True)``
      (one row per epoch; continued, not restarted, by a resumed run);
    * ``keras.callbacks.TensorBoard(out_dir/"logs")`` when the
      ``tensorboard`` package is installed (TensorFlow does not require it;
      otherwise a warning says so).

    A resumed run goes on with the pairs the interrupted run would have
    trained on next (``make_restoration_dataset(start=...)``), so that, with
    the restored weights and optimizer state, it ends with the same weights
    as a run that was never interrupted.

    Args:
        data: Clean training images: a folder, a float array
            ``(N, H, W[, C])`` in ``[0, 1]`` or a list of arrays (see
            :func:`kerasgen.data.load_clean_images`).
        out_dir: Output folder (created if needed).
        epochs: Int >= 1, number of epochs.
        steps_per_epoch: Int >= 1, batches per epoch.
        patch_size: Int, side of the training patches; a multiple of the
            model's size multiple (``2**depth * pixel_unshuffle``).
        batch_size: Int >= 1, patches per batch.
        sigma_range: ``(low, high)`` noise standard deviation in image
            units (``0 <= low <= high <= 1``; e.g. ``(0, 55 / 255)`` for 0 to
            55 grey levels) for ``degradation="gaussian"``.
        sigma_power: Float > 0, how sigma is drawn in ``sigma_range``: 1
            uniformly, above 1 with more small values (see
            ``make_restoration_dataset``).
        degradation: Passed to ``make_restoration_dataset``.
        model: ``None`` (build a U-Net with ``build_unet(image_shape=(None,
            None, channels), **model_kwargs)``) or an uncompiled or compiled
            ``keras.Model`` (recompiled here) taking ``channels``-channel
            images. A model with a second input is fed the noise level of
            each patch; a model with a fixed input size needs ``patch_size``
            equal to it.
        model_kwargs: Dict of ``build_unet`` arguments when ``model`` is
            ``None``.
        loss: ``"mae"`` (default; sharper results for Gaussian noise
            training), ``"mse"`` or ``"psnr"`` (:func:`kerasgen.losses.psnr_loss`:
            minus each patch's PSNR, so that patches with little noise count
            as much as noisy ones).
        learning_rate: Float > 0, or a
            ``keras.optimizers.schedules.LearningRateSchedule``.
        cosine_decay: Bool, for a float ``learning_rate``: cosine decay from
            ``learning_rate`` to ``learning_rate / 100`` over
            ``epochs * steps_per_epoch`` steps.
        validation_data: ``None`` or clean images (same forms as ``data``).
            They are centre-cropped to a common size (a multiple of the size
            multiple) and degraded once (with a fixed seed, whatever
            `seed` is, so that runs with different seeds are validated on the
            same pairs; Gaussian noise of ``validation_sigma`` for
            ``"gaussian"``). A folder must not be, be inside or hold a
            ``data`` folder.
        validation_sigma: Noise standard deviation of the validation pairs,
            in image units (in ``[0, 1]``, e.g. ``25 / 255``).
        channels: 1 or 3.
        seed: Int or ``None``. Seeds ``keras.utils.set_random_seed`` (weights
            of a built model) and the data pipeline: the same seed gives the
            same stream of patches and noise, so fine-tuning runs from
            earlier weights (``model=``) should each take a new seed, or
            they train on the patches the earlier runs saw. (The shipped grey
            denoiser, trained from scratch and fine-tuned fourteen times,
            all with seed 0, denoises the first 2400 patches of that stream
            0.017 dB better than the same patches and levels with new noise,
            about 3 standard errors; another seed's, 0.000.)
        jit_compile: Passed to ``model.compile``; ``"auto"`` (default) uses
            XLA only when TensorFlow sees a GPU (on CPU, XLA measured slower
            than the default oneDNN kernels for these models, see
            ``benchmarks/unet_throughput.py``).
        precision: ``"auto"`` (default: ``"mixed_bfloat16"`` on a CPU with
            native bfloat16, about 2x faster there; ``"mixed_float16"`` on a
            GPU; else ``"float32"``), ``"float32"``, ``"mixed_bfloat16"`` or
            ``"mixed_float16"``; see :mod:`kerasgen.precision`. It sets the
            dtype policy of the model this function builds. A given
            ``model`` keeps its own policy (build it inside
            :func:`kerasgen.precision.precision_scope`); an explicit
            ``precision`` that differs from it raises.
        strategy: ``None`` (the strategy in scope), ``"mirrored"``,
            ``"multi_worker"`` (cluster from ``TF_CONFIG``; only the chief
            writes into ``out_dir``) or a ``tf.distribute.Strategy``; see
            :func:`kerasgen.distribution.get_strategy`. ``batch_size`` is the
            global batch, split over the replicas. A given ``model`` must
            have been built inside ``strategy.scope()``.
        callbacks: Optional list of extra ``keras.callbacks.Callback``s, run
            after the ones above.
        overwrite: Bool. False (default): an ``out_dir`` holding a completed
            run (``best.keras``, no backup) is refused before anything is
            loaded. True: a new run starts there; once every argument is
            checked, the previous run's backup (an unfinished run is then
            discarded, not resumed), ``history.csv`` and TensorBoard event
            files are deleted; its ``best.keras`` and ``last.keras`` stay
            until the new run's first epoch replaces them (the new run's best
            model is not compared with the old run's).
        verbose: Passed to ``model.fit``.

    Returns:
        A tuple ``(model, history)``: the trained ``keras.Model`` (weights of
        the last epoch) and the ``keras.callbacks.History`` of this call
        (after a resume, only the epochs run by this call).

    Raises:
        ValueError: If an argument is invalid (e.g. ``patch_size`` not a
            multiple of the model's size multiple, unknown ``loss``, a
            ``sigma_range`` or ``validation_sigma`` above 1, as in 8-bit
            grey levels), an ``out_dir`` that is, is inside or holds the
            ``data`` or ``validation_data`` folder, or a ``validation_data``
            folder that is, is inside or holds the ``data`` folder (refused
            before anything is written), or an unfinished run in ``out_dir/backup`` whose
            model does not match the arguments.
        TypeError: If an argument has the wrong type (e.g. ``callbacks``
            not a list of ``keras.callbacks.Callback``).
        FileExistsError: If ``out_dir`` holds a completed run and
            ``overwrite`` is False.

    Example:

    >>> model, history = train_unet(  # doctest: +SKIP
    ...     "data/train400", "runs/unet_denoise_gray", epochs=40,
    ...     steps_per_epoch=250, patch_size=64, batch_size=16,
    ...     model_kwargs=dict(depth=3, base_filters=32, pixel_unshuffle=2))
    """
    epochs = check_positive_int("epochs", epochs)
    steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
    batch_size = check_positive_int("batch_size", batch_size)
    patch_size = check_positive_int("patch_size", patch_size)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}. Received: loss={loss!r}")
    if not isinstance(cosine_decay, bool):
        raise TypeError(
            f"cosine_decay must be a bool. Received: cosine_decay={cosine_decay!r}"
        )
    schedule = _learning_rate(learning_rate, cosine_decay, epochs * steps_per_epoch)
    _check_sigma_range(sigma_range)
    if validation_data is not None:
        check_sigma(validation_sigma, name="validation_sigma", allow_none=False)
    seed = check_seed(seed)
    callbacks = check_callbacks(callbacks)
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(
            f"out_dir must be a path. Received: out_dir of type {type(out_dir).__name__}"
        )
    out_dir = os.fspath(out_dir)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(
            f"out_dir must be a folder. Received: out_dir={out_dir!r} (a file)"
        )
    check_out_dir_apart(out_dir, {"data": data, "validation_data": validation_data})
    check_validation_apart(data, validation_data)
    overwrite = check_completed_run(out_dir, BEST_MODEL, overwrite)

    strategy = get_strategy(strategy)  # first: multi_worker precedes any TF work
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    policy = resolve_precision(precision)
    model_given = model is not None
    if model is None:
        with strategy.scope(), precision_scope(policy):
            model = build_unet(
                **{"image_shape": (None, None, channels), **(model_kwargs or {})}
            )
    elif model_kwargs:
        raise ValueError(
            "Pass either model or model_kwargs, not both. "
            f"Received: model={model.name!r}, model_kwargs={model_kwargs!r}"
        )
    else:
        check_keras_model(model)
    if model_given and precision != "auto" and _policy_name(model) != policy:
        raise ValueError(
            f"The model was built with dtype policy {_policy_name(model)!r} but "
            f"precision={precision!r}. Build it inside "
            "kerasgen.precision.precision_scope(precision), or pass "
            "precision='auto' to keep the model's own policy."
        )
    with_noise_level = len(model.inputs) == 2
    multiple = size_multiple(model)
    _, height, width, model_channels = model.inputs[0].shape
    if model_channels != channels:
        raise ValueError(
            f"The model takes {model_channels}-channel images but channels={channels}. "
            "Pass the same number of channels to both."
        )
    if patch_size % multiple:
        raise ValueError(
            f"patch_size must be a multiple of the model's size multiple {multiple} "
            f"(2**depth * pixel_unshuffle for a U-Net). Received: patch_size={patch_size}"
        )
    if {height, width} - {None, patch_size}:
        raise ValueError(
            "The model has a fixed input size, so patch_size must equal it. "
            f"Received: model input size ({height}, {width}), patch_size={patch_size}"
        )
    fixed_size = patch_size if (height, width) != (None, None) else None

    first_epoch = resumed_epoch(out_dir, overwrite=overwrite)  # where the data stream starts
    dataset = make_restoration_dataset(
        data,
        degradation=degradation,
        sigma_range=sigma_range,
        sigma_power=sigma_power,
        patch_size=patch_size,
        batch_size=batch_size,
        seed=seed,
        channels=channels,
        with_noise_level=with_noise_level,
        start=first_epoch * steps_per_epoch * batch_size,
    )
    dataset = shard_by_data(dataset, strategy)
    validation = None
    if validation_data is not None:
        validation = validation_pairs(
            validation_data,
            multiple=multiple,
            fixed_size=fixed_size,
            degradation=degradation,
            sigma=validation_sigma,
            batch_size=batch_size,
            channels=channels,
            with_noise_level=with_noise_level,
        )

    if check_jit_compile(jit_compile) == "auto":
        jit_compile = bool(tf.config.list_physical_devices("GPU"))
    if validation is not None:
        validation = shard_by_data(validation, strategy)
    with strategy.scope():
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=schedule),
            loss=psnr_loss if loss == "psnr" else loss,
            metrics=[psnr],
            jit_compile=jit_compile,
        )
    chief_dir, out_dir = out_dir, worker_out_dir(out_dir, strategy)  # same on the chief
    os.makedirs(out_dir, exist_ok=True)
    if overwrite:  # every argument is checked: the previous run can go
        _discard_previous_unet_run(out_dir)
    backup_dir = os.path.join(out_dir, BACKUP_DIR)
    monitor, mode = ("val_psnr", "max") if validation is not None else ("loss", "min")
    best_path = os.path.join(out_dir, BEST_MODEL)
    resuming = os.path.isdir(backup_dir) and bool(os.listdir(backup_dir))
    best_checkpoint = BestInferenceCheckpoint(
        best_path,
        monitor=monitor,
        mode=mode,
        save_best_only=True,
        initial_value_threshold=read_best(best_path, monitor) if resuming else None,
    )
    all_callbacks = [
        CheckedBackupAndRestore(
            backup_dir,
            precision=_policy_name(model),
            data_epoch=first_epoch,
            double_checkpoint=True,
        ),
        best_checkpoint,
        InferenceCheckpoint(os.path.join(out_dir, LAST_MODEL)),
        keras.callbacks.CSVLogger(os.path.join(out_dir, HISTORY_CSV), append=resuming),
    ]
    if importlib.util.find_spec("tensorboard") is not None:
        all_callbacks.append(
            keras.callbacks.TensorBoard(
                os.path.join(out_dir, LOGS_DIR), profile_batch=0
            )
        )
    else:
        warnings.warn(
            "The tensorboard package is not installed, so train_unet writes no "
            f"TensorBoard logs (only {HISTORY_CSV}). Install it with "
            "`pip install tensorboard`.",
            stacklevel=2,
        )
    all_callbacks.extend(callbacks)
    try:
        history = model.fit(
            dataset,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            validation_data=validation,
            callbacks=all_callbacks,
            verbose=verbose,
            shuffle=False,  # the dataset shuffles itself
        )
    finally:
        remove_worker_dir(out_dir, chief_dir)
    return model, history


def _discard_previous_unet_run(out_dir):
    """``overwrite=True``: removes what the previous run in `out_dir` wrote.

    Its backup, ``history.csv`` (`discard_previous_run`) and TensorBoard
    event files. Its models stay until the new run's first epoch replaces
    them (without a backup, ``best.keras`` is replaced whatever its score);
    other files are left alone.
    """
    discard_previous_run(out_dir)
    for part in ("train", "validation"):
        folder = os.path.join(out_dir, LOGS_DIR, part)
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if name.startswith("events.out.tfevents."):
                    os.remove(os.path.join(folder, name))


def _policy_name(model):
    """The dtype policy of the model's first layer with weights."""
    for layer in model.layers:
        if layer.weights:
            return layer.dtype_policy.name
    return model.dtype_policy.name


def _check_sigma_range(sigma_range):
    """Refuses a noise range not within [0, 1] (e.g. in 8-bit grey levels)."""
    low, high = check_interval("sigma_range", sigma_range, 0.0, math.inf)
    if high > 1:
        raise ValueError(
            "sigma_range must be a pair (low, high) with 0 <= low <= high <= 1. It is in image "
            "units ([0, 1] scale): for noise levels in 8-bit grey levels divide by 255 (e.g. "
            f"(0, 55) -> (0, 55 / 255)). Received: sigma_range={sigma_range!r}"
        )
    return low, high


def _learning_rate(learning_rate, cosine_decay, total_steps):
    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        return learning_rate
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, numbers.Real)
        or not math.isfinite(learning_rate)
        or learning_rate <= 0
    ):
        raise ValueError(
            "learning_rate must be a float > 0 or a LearningRateSchedule. "
            f"Received: learning_rate={learning_rate!r}"
        )
    if not cosine_decay:
        return float(learning_rate)
    return keras.optimizers.schedules.CosineDecay(
        float(learning_rate), decay_steps=total_steps, alpha=0.01
    )
