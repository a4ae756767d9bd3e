"""Recipe: train a convolutional VAE on a dataset with plain ``fit``, resumable."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import warnings

import keras
import tensorflow as tf

from kerasgen._checks import check_jit_compile, check_positive_int, check_seed
from kerasgen.data.datasets import check_disjoint_splits
from kerasgen.distribution import get_strategy, run_folder, shard_by_data
from kerasgen.models.vae import build_decoder, build_encoder
from kerasgen.precision import check_precision, precision_scope, resolve_precision
from kerasgen.recipes import _inputs, _outputs
from kerasgen.trainers import VAE

MODEL_FILE = "vae.keras"


def train_vae(
    dataset="mnist",
    out_dir="runs/vae",
    *,
    epochs=30,
    batch_size=128,
    latent_dim=2,
    image_shape=None,
    base_filters=32,
    beta=1.0,
    likelihood="bernoulli",
    split="train",
    validation_split="auto",
    validation_data=None,
    data_dir=None,
    download=True,
    seed=0,
    num_samples=64,
    steps_per_epoch=None,
    jit_compile="auto",
    precision="auto",
    strategy=None,
    callbacks=None,
    overwrite=False,
    verbose="auto",
):
    """Trains a convolutional VAE with validation and saves everything.

    Builds the encoder and decoder with :func:`kerasgen.models.build_encoder`
    / :func:`kerasgen.models.build_decoder` for the images' shape, wraps them
    in :class:`kerasgen.VAE` (negative ELBO in nats, ``Adam(1e-3)``) and calls
    ``fit`` with validation data and:

    * ``keras.callbacks.BackupAndRestore(out_dir/"backup")``: running the
      same call again after an interruption resumes after the last
      completed epoch; the backup is deleted when the run completes, so
      re-running a completed run is refused unless ``overwrite=True``
      (then a new run starts);
    * a ``keras.callbacks.ModelCheckpoint`` writing ``out_dir/"vae.keras"``
      after every epoch (via a temporary file and a rename);
    * ``keras.callbacks.CSVLogger(out_dir/"history.csv")`` (continued by a
      resumed run);
    * :class:`kerasgen.callbacks.SampleGrid` writing
      ``out_dir/"samples"/samples_epoch_001.png``, ... decoded from the same
      prior draws at every epoch.

    At the end it saves the final ``vae.keras`` and ``loss_curves.png``
    (``loss``, ``reconstruction_loss``, ``kl_loss``, training and validation).
    Images are scaled to ``[0, 1]``.

    Args:
        dataset: ``"mnist"``, ``"fashion_mnist"``, ``"cifar10"`` (local files
            under ``data_dir`` / ``$KERASGEN_DATA_DIR``, else TensorFlow
            Datasets), the path of a folder of images, or a batched
            ``tf.data.Dataset`` of images in ``[0, 1]``.
        out_dir: Output folder (created if needed).
        epochs: Int >= 1, number of epochs.
        batch_size: Int >= 1, images per batch (a ``tf.data.Dataset`` is
            used as batched).
        latent_dim: Int >= 1, size of the latent space (2 can be plotted).
        image_shape: ``(height, width, channels)``; None uses the images'
            own. For a name or a folder, images are resized / converted to
            it. Height and width must be even and at least 8.
        base_filters: Int >= 1, channels of the first encoder block.
        beta: Float >= 0, weight of the KL term (1.0: the ELBO).
        likelihood: ``"bernoulli"`` (grey or binary images) or
            ``"gaussian"``.
        split: tfds-style training split for a name or a folder, e.g.
            ``"train"``, ``"test[:8000]"``, ``"train[:90%]"``.
        validation_split: Split of the same name or folder to validate on,
            e.g. ``"test[8000:]"``, disjoint from ``split``; None for no
            validation; ``"auto"``: the rest of a ``"<name>[:stop]"``
            training split (``"test[:8000]"`` -> ``"test[8000:]"``),
            ``"test"`` for a named dataset's whole
            ``"train"`` split, else no validation.
        validation_data: A batched ``tf.data.Dataset`` of images in
            ``[0, 1]`` to validate on, instead of ``validation_split`` (for
            a ``tf.data.Dataset`` as ``dataset``).
        data_dir: Optional folder holding local copies of the named datasets
            (default ``$KERASGEN_DATA_DIR``).
        download: Bool, whether TensorFlow Datasets may download a named
            dataset that has no local copy (False: fail fast offline).
        seed: Int or None. Seeds the weights and the sampling noise
            (``keras.utils.set_random_seed``), the shuffling, and the prior
            draws of the sample grids (0 when None). A resumed run restores
            the model, optimizer, noise state and epoch, and (for a name or a
            folder) goes on with the batches the interrupted run would have
            trained on next: each epoch's order depends only on the seed and
            the epoch (``load_dataset(repeat=True)``), so it ends with the
            weights of a run that was never interrupted. A
            ``tf.data.Dataset`` is iterated as given: its order restarts.
        num_samples: Int >= 1, images per sample grid.
        steps_per_epoch: Optional int >= 1, batches per epoch (the data is
            then repeated as needed). Required for an infinite dataset.
        jit_compile: Passed to ``compile`` (``"auto"``, True, False).
        precision: ``"auto"`` (default: ``"mixed_bfloat16"`` on a CPU with
            native bfloat16, about 2x faster; ``"mixed_float16"`` on a GPU;
            else ``"float32"``), or ``"float32"``, ``"mixed_bfloat16"``,
            ``"mixed_float16"``; see :mod:`kerasgen.precision`. The
            sub-models are built under it (variables stay float32), and the
            saved model keeps it, so a resumed run continues exactly;
            :func:`kerasgen.precision.to_float32` makes a float32 copy.
        strategy: ``None`` (the strategy in scope), ``"mirrored"``,
            ``"multi_worker"`` (cluster from ``TF_CONFIG``; only the chief
            writes into ``out_dir``) or a ``tf.distribute.Strategy``; see
            :func:`kerasgen.distribution.get_strategy`. ``batch_size`` is the
            global batch, split over the replicas.
        callbacks: Optional list of extra ``keras.callbacks.Callback``s, run
            after the ones above.
        overwrite: Bool. False (default): an ``out_dir`` holding a completed
            run (its model file, no backup) is refused before anything is
            loaded. True: a new run starts there; once every argument is
            checked, the previous run's backup (an unfinished run is then
            discarded, not resumed), ``history.csv``, ``loss_curves.png`` and
            sample grids are deleted, so that no grid of the older run is
            left beside the new ones.
        verbose: Passed to ``fit`` (``"auto"``: a progress bar).

    Returns:
        A tuple ``(vae, history)``: the trained :class:`kerasgen.VAE` and the
        ``keras.callbacks.History`` of this call (``val_*`` entries when
        validating; after a resume only the epochs run by this call).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is invalid (e.g. both ``validation_split``
            and ``validation_data``, a ``validation_split`` sharing images
            with ``split``, a dataset outside ``[0, 1]``), an
            ``out_dir`` that is, is inside or holds the ``dataset`` folder
            (refused before anything is written), or an unfinished run in
            ``out_dir/backup`` whose model does not match the arguments.
        FileNotFoundError: If a named dataset is neither stored locally nor
            downloadable (the message says where to put the files), or a
            folder does not exist.
        FileExistsError: If ``out_dir`` holds a completed run and
            ``overwrite`` is False.

    Example:

    >>> vae, history = train_vae(  # doctest: +SKIP
    ...     "mnist", "runs/vae", split="test[:8000]", epochs=30,
    ...     data_dir="../shared/data")  # validates on "test[8000:]"
    >>> z_mean, z_log_var = vae.encode(images)  # doctest: +SKIP
    """
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    base_filters = check_positive_int("base_filters", base_filters)
    num_samples = check_positive_int("num_samples", num_samples)
    if steps_per_epoch is not None:
        steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
    if validation_split is not None and not isinstance(validation_split, str):
        raise TypeError(
            "validation_split must be a split string such as 'test[8000:]', "
            f"'auto' or None. Received: validation_split={validation_split!r}"
        )
    if validation_data is not None:
        if not isinstance(validation_data, tf.data.Dataset):
            raise TypeError(
                "validation_data must be a batched tf.data.Dataset or None. "
                f"Received: validation_data of type {type(validation_data).__name__}"
            )
        if validation_split not in (None, "auto"):
            raise ValueError(
                "Pass either validation_split or validation_data, not both. "
                f"Received: validation_split={validation_split!r} and a "
                "validation_data dataset"
            )
        validation_split = None
    if isinstance(dataset, tf.data.Dataset) and validation_split not in (None, "auto"):
        raise ValueError(
            "validation_split selects a split of a named dataset or a folder; "
            "with a tf.data.Dataset, pass validation_data. Received: "
            f"validation_split={validation_split!r}"
        )
    check_jit_compile(jit_compile)
    check_precision(precision)
    seed = check_seed(seed)
    out_dir = _outputs.check_out_dir(out_dir)
    _outputs.check_out_dir_apart(out_dir, {"dataset": dataset})
    overwrite = _outputs.check_completed_run(out_dir, MODEL_FILE, overwrite)
    first_epoch = _outputs.resumed_epoch(out_dir, overwrite=overwrite)
    extra_callbacks = _outputs.check_callbacks(callbacks)
    _inputs.check_source(dataset)
    if validation_split not in (None, "auto"):
        # "auto" is disjoint by construction; an explicit slice may overlap.
        check_disjoint_splits(dataset, split, validation_split, data_dir=data_dir)
    strategy = get_strategy(strategy)  # first: multi_worker precedes any TF work
    policy = resolve_precision(precision)

    if seed is not None:
        keras.utils.set_random_seed(seed)
    common = {
        "batch_size": batch_size,
        "value_range": (0.0, 1.0),
        "with_labels": False,
        "num_classes": None,
        "data_dir": data_dir,
        "seed": seed,
        "drop_remainder": False,
        "purpose": "A VAE",
        "download": download,
    }
    data = _inputs.training_images(
        dataset, split=split, image_shape=image_shape, stream=True,
        start_epoch=first_epoch, steps_per_epoch=steps_per_epoch, **common,
    )  # fmt: skip
    auto = validation_split == "auto"
    if auto:
        validation_split = _inputs.auto_validation_split(dataset, split)
    validation = None
    if validation_data is not None:
        validation = _inputs.training_images(
            validation_data, split=None, image_shape=data.image_shape,
            name="validation_data", **{**common, "data_dir": None},
        ).dataset  # fmt: skip
    elif validation_split is not None:
        try:
            validation = _inputs.training_images(
                dataset, split=validation_split, image_shape=data.image_shape,
                name="validation split", **common,
            ).dataset  # fmt: skip
        except (ValueError, FileNotFoundError) as error:
            if not auto:
                raise
            # "auto" is a convenience: no validation rather than no training.
            warnings.warn(
                f"validation_split='auto' stands for {validation_split!r}, "
                f"which could not be loaded, so the VAE trains without "
                f"validation data. {type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}",
                stacklevel=2,
            )
    train_data, steps_per_epoch = _inputs.training_stream(data, steps_per_epoch)
    train_data = shard_by_data(train_data, strategy)
    if validation is not None:
        validation = shard_by_data(validation, strategy)

    with strategy.scope(), precision_scope(policy):
        encoder = build_encoder(
            image_shape=data.image_shape,
            latent_dim=latent_dim,
            base_filters=base_filters,
            seed=seed,
        )
        decoder = build_decoder(
            latent_dim=latent_dim,
            image_shape=data.image_shape,
            base_filters=base_filters,
        )
        vae = VAE(encoder, decoder, beta=beta, likelihood=likelihood)
        vae.compile(jit_compile=jit_compile)

    sample_grid = {"num_images": num_samples, "seed": 0 if seed is None else seed}
    with run_folder(out_dir, strategy) as run_dir:  # out_dir on the chief
        if overwrite:  # every argument is checked: the previous run can go
            _outputs.discard_previous_run(run_dir)
        all_callbacks, _ = _outputs.training_callbacks(
            run_dir, MODEL_FILE, sample_grid, extra_callbacks, precision=policy,
            data_epoch=None if data.steps_per_epoch is None else first_epoch,
        )  # fmt: skip
        history = vae.fit(
            train_data,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            validation_data=validation,
            callbacks=all_callbacks,
            verbose=verbose,
            shuffle=False,  # the dataset shuffles itself
        )
        _outputs.finish_run(
            vae, run_dir, MODEL_FILE, title=f"VAE ({likelihood}, beta={beta:g})"
        )
    return vae, history
