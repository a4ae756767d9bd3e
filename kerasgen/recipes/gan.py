"""Recipe: train a DCGAN on a dataset with plain ``fit``, resumable."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import keras
import numpy as np

from kerasgen._checks import (
    check_bool,
    check_int,
    check_jit_compile,
    check_positive_int,
    check_seed,
)
from kerasgen.distribution import (
    get_strategy,
    run_folder,
    shard_by_data,
    synchronize_batch_norm,
)
from kerasgen.models.dcgan import build_discriminator, build_generator
from kerasgen.precision import check_precision, precision_scope, resolve_precision
from kerasgen.recipes import _inputs, _outputs
from kerasgen.trainers import GAN

MODEL_FILE = "gan.keras"


def train_gan(
    dataset="mnist",
    out_dir="runs/gan",
    *,
    epochs=20,
    batch_size=64,
    latent_dim=128,
    image_shape=None,
    base_filters=64,
    conditional=False,
    num_classes=None,
    loss="non_saturating",
    split="train",
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
    """Trains a DCGAN (optionally class-conditional) and saves everything.

    Builds the generator and discriminator with
    :func:`kerasgen.models.build_generator` /
    :func:`kerasgen.models.build_discriminator` for the images' shape, wraps
    them in :class:`kerasgen.GAN`, compiles it (Adam defaults of the loss:
    ``Adam(2e-4, beta_1=0.5)``, or ``Adam(1e-4, 0.0, 0.9)`` for
    ``"wgan_gp"``) and calls ``fit`` with:

    * ``keras.callbacks.BackupAndRestore(out_dir/"backup")``: running the
      same call again after an interruption resumes after the last
      completed epoch (weights, optimizer and noise-generator states); the
      backup is deleted when the run completes, so re-running a completed
      run is refused unless ``overwrite=True`` (then a new run starts);
    * a ``keras.callbacks.ModelCheckpoint`` writing ``out_dir/"gan.keras"``
      after every epoch (via a temporary file and a rename, never
      half-written);
    * ``keras.callbacks.CSVLogger(out_dir/"history.csv")`` (continued by a
      resumed run);
    * :class:`kerasgen.callbacks.SampleGrid` writing
      ``out_dir/"samples"/samples_epoch_001.png``, ... from the same latent
      points at every epoch (for a conditional GAN, column ``j`` shows class
      ``j``).

    At the end it saves the final ``gan.keras`` and ``loss_curves.png``
    (``d_loss`` / ``g_loss`` per epoch, all epochs of a resumed run). Images
    are scaled to ``[-1, 1]`` (the generator's ``tanh`` range).

    Args:
        dataset: ``"mnist"``, ``"fashion_mnist"``, ``"cifar10"`` (local files
            under ``data_dir`` / ``$KERASGEN_DATA_DIR``, else TensorFlow
            Datasets), the path of a folder of images (class sub-folders give
            the labels), or a batched ``tf.data.Dataset`` of images in
            ``[-1, 1]`` (``(images, labels)`` when conditional).
        out_dir: Output folder (created if needed).
        epochs: Int >= 1, number of epochs.
        batch_size: Int >= 1, images per batch (a ``tf.data.Dataset`` is
            used as batched). The last, smaller batch of an epoch is dropped.
        latent_dim: Int >= 1, size of the latent vector.
        image_shape: ``(height, width, channels)``; None uses the images'
            own. For a name or a folder, images are resized / converted to
            it. Height and width must be even and at least 8 (e.g. 28 or 32).
        base_filters: Int >= 1, width of the outer blocks of both networks.
        conditional: Bool, train a class-conditional GAN on ``(images,
            labels)``.
        num_classes: Number of classes of a conditional GAN; None infers it
            (10 for the named datasets, the number of class folders for a
            folder). Required for a conditional GAN on a ``tf.data.Dataset``.
        loss: ``"non_saturating"``, ``"hinge"`` or ``"wgan_gp"``.
        split: tfds-style split for a name or a folder, e.g. ``"train"``,
            ``"test[:8000]"``, ``"train[:90%]"``.
        data_dir: Optional folder holding local copies of the named datasets
            (default ``$KERASGEN_DATA_DIR``).
        download: Bool, whether TensorFlow Datasets may download a named
            dataset that has no local copy (False: fail fast offline).
        seed: Int or None. Seeds the weights (``keras.utils.set_random_seed``),
            the shuffling and the GAN's noise; also the latent points of the
            sample grids (0 when None). A resumed run restores the model,
            optimizers, noise state and epoch, and (for a name or a folder)
            goes on with the batches the interrupted run would have trained
            on next: each epoch's order depends only on the seed and the
            epoch (``load_dataset(repeat=True)``), so it ends with the
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
        A tuple ``(gan, history)``: the trained :class:`kerasgen.GAN` and the
        ``keras.callbacks.History`` of this call (after a resume, only the
        epochs run by this call; ``history.csv`` has them all).

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument is invalid (unknown loss, image size the
            builders cannot reach, a dataset outside ``[-1, 1]``, ...), an
            ``out_dir`` that is, is inside or holds the ``dataset`` folder
            (refused before anything is written), or an unfinished run in
            ``out_dir/backup`` whose model does not match the arguments.
        FileNotFoundError: If a named dataset is neither stored locally nor
            downloadable (the message says where to put the files), or a
            folder does not exist.
        FileExistsError: If ``out_dir`` holds a completed run and
            ``overwrite`` is False.

    Example:

    >>> gan, history = train_gan(  # doctest: +SKIP
    ...     "mnist", "runs/gan", split="test[:8000]", epochs=20,
    ...     data_dir="../shared/data")
    >>> images = gan.generate(16, seed=0)  # doctest: +SKIP
    """
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    base_filters = check_positive_int("base_filters", base_filters)
    num_samples = check_positive_int("num_samples", num_samples)
    if steps_per_epoch is not None:
        steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
    conditional = check_bool("conditional", conditional)
    if num_classes is not None:
        num_classes = check_int("num_classes", num_classes, minimum=2)
        if not conditional:
            raise ValueError(
                "num_classes is only used by a conditional GAN. Received: "
                f"num_classes={num_classes} with conditional=False"
            )
    check_jit_compile(jit_compile)
    check_precision(precision)
    seed = check_seed(seed)
    out_dir = _outputs.check_out_dir(out_dir)
    _outputs.check_out_dir_apart(out_dir, {"dataset": dataset})
    overwrite = _outputs.check_completed_run(out_dir, MODEL_FILE, overwrite)
    first_epoch = _outputs.resumed_epoch(out_dir, overwrite=overwrite)
    extra_callbacks = _outputs.check_callbacks(callbacks)
    strategy = get_strategy(strategy)  # first: multi_worker precedes any TF work
    policy = resolve_precision(precision)

    if seed is not None:
        keras.utils.set_random_seed(seed)
    data = _inputs.training_images(
        dataset,
        split=split,
        batch_size=batch_size,
        image_shape=image_shape,
        value_range=(-1.0, 1.0),
        with_labels=conditional,
        num_classes=num_classes,
        data_dir=data_dir,
        seed=seed,
        drop_remainder=True,
        purpose="A GAN",
        download=download,
        stream=True,
        start_epoch=first_epoch,
        steps_per_epoch=steps_per_epoch,
    )
    train_data, steps_per_epoch = _inputs.training_stream(data, steps_per_epoch)
    train_data = shard_by_data(train_data, strategy)
    with strategy.scope(), precision_scope(policy):
        generator = build_generator(
            latent_dim=latent_dim,
            image_shape=data.image_shape,
            base_filters=base_filters,
            num_classes=data.num_classes,
        )
        discriminator = build_discriminator(
            image_shape=data.image_shape,
            base_filters=base_filters,
            num_classes=data.num_classes,
        )
        synchronize_batch_norm(generator, discriminator, strategy=strategy)
        gan = GAN(generator, discriminator, seed=seed)
        gan.compile(loss=loss, jit_compile=jit_compile)

    sample_grid = {"num_images": num_samples, "seed": 0 if seed is None else seed}
    if data.num_classes is not None:
        sample_grid["labels"] = np.arange(num_samples) % data.num_classes
        sample_grid["ncols"] = min(data.num_classes, num_samples)
    with run_folder(out_dir, strategy) as run_dir:  # out_dir on the chief
        if overwrite:  # every argument is checked: the previous run can go
            _outputs.discard_previous_run(run_dir)
        all_callbacks, _ = _outputs.training_callbacks(
            run_dir, MODEL_FILE, sample_grid, extra_callbacks, precision=policy,
            data_epoch=None if data.steps_per_epoch is None else first_epoch,
        )  # fmt: skip
        history = gan.fit(
            train_data,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=all_callbacks,
            verbose=verbose,
            shuffle=False,  # the dataset shuffles itself
        )
        _outputs.finish_run(gan, run_dir, MODEL_FILE, title=f"GAN ({loss})")
    return gan, history
