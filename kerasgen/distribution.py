"""Training on several devices or machines: strategies and chief-only output.

``get_strategy("multi_worker")`` returns TensorFlow's
``tf.distribute.MultiWorkerMirroredStrategy`` with the cluster read from the
``TF_CONFIG`` environment variable (one process per machine, started with the
same command; each process's ``TF_CONFIG`` names the whole cluster and its own
``task``). The recipes (:func:`kerasgen.recipes.train_gan`, ``train_vae``,
``train_unet``) take ``strategy=`` and build, compile and fit their model in
its scope; ``GAN`` and ``VAE`` need nothing else.

Every worker runs every callback (some, like sample grids, run the model,
which all workers must do together), but only the chief writes into the run
folder: :func:`worker_out_dir` gives the other workers a private temporary
folder, seeded with the chief's ``backup/`` so that a resumed run restores the
same state on every worker (the run folder must therefore be on storage that
every worker can read at the same path: a shared file system).

Example (two machines, the same command on both)::

    # machine A
    TF_CONFIG='{"cluster": {"worker": ["a:12345", "b:12345"]},
                "task": {"type": "worker", "index": 0}}' kerasgen train gan ... --strategy multi_worker
    # machine B: the same with "index": 1
"""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import contextlib
import json
import os
import shutil
import tempfile

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")
BACKUP_DIR = "backup"

# MultiWorkerMirroredStrategy sets up collective ops once per process: a second
# instance in the same process cannot join the cluster again, so it is cached.
_MULTI_WORKER = None


def get_strategy(strategy=None):
    """Returns a ``tf.distribute.Strategy`` for a name or an instance.

    Args:
        strategy: ``None`` or ``"default"`` (the strategy in scope, i.e. the
            default one-device strategy unless called inside
            ``some_strategy.scope()``), ``"mirrored"``
            (``tf.distribute.MirroredStrategy()``: every GPU of this machine,
            else the CPU), ``"multi_worker"``
            (``tf.distribute.MultiWorkerMirroredStrategy()`` with the cluster
            of ``TF_CONFIG``; one instance per process, created before any
            other TensorFlow work), or a ``tf.distribute.Strategy``.

    Returns:
        A ``tf.distribute.Strategy``.

    Raises:
        TypeError: If ``strategy`` is neither a name nor a strategy.
        ValueError: If the name is unknown, or ``TF_CONFIG`` is not valid JSON
            naming a cluster and this process's task.

    Example:

    >>> get_strategy().num_replicas_in_sync  # no cluster, no strategy in scope
    1
    """
    global _MULTI_WORKER
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy is not None and not isinstance(strategy, str):
        raise TypeError(
            "strategy must be None, one of "
            f"{STRATEGIES} or a tf.distribute.Strategy. Received: strategy of "
            f"type {type(strategy).__name__}"
        )
    if strategy in (None, "default"):
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy == "multi_worker":
        if _MULTI_WORKER is None:
            check_tf_config()
            _MULTI_WORKER = tf.distribute.MultiWorkerMirroredStrategy()
            _patch_keras_for_multi_worker()
        return _MULTI_WORKER
    raise ValueError(
        f"strategy must be one of {STRATEGIES} or a tf.distribute.Strategy. "
        f"Received: strategy={strategy!r}"
    )


def check_tf_config(value=None):
    """Checks a ``TF_CONFIG`` value (default: the environment's).

    An absent ``TF_CONFIG`` is allowed (a one-worker cluster, e.g. to try a
    command before starting it on several machines).

    Args:
        value: The JSON text, or None to read ``os.environ["TF_CONFIG"]``.

    Returns:
        The parsed dict (empty when absent).

    Raises:
        TypeError: If ``value`` is neither None nor a str.
        ValueError: If the text is not JSON, has no ``cluster`` with a
            ``worker`` (or ``chief``) list (every job a list of
            ``"host:port"``), or no ``task`` of that cluster.

    Example:

    >>> check_tf_config('{"cluster": {"worker": ["a:1", "b:1"]},'
    ...                 ' "task": {"type": "worker", "index": 1}}')["task"]
    {'type': 'worker', 'index': 1}
    """
    if value is None:
        value = os.environ.get("TF_CONFIG", "")
    if not isinstance(value, str):
        raise TypeError(
            "TF_CONFIG must be given as JSON text (a str) or None. "
            f"Received: value of type {type(value).__name__}"
        )
    if not value.strip():
        return {}
    try:
        config = json.loads(value)
    except ValueError:
        raise ValueError(
            "TF_CONFIG must be JSON such as "
            '{"cluster": {"worker": ["host1:port", "host2:port"]}, '
            '"task": {"type": "worker", "index": 0}}. '
            f"Received: TF_CONFIG={value!r:.200}"
        ) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if (
        not isinstance(cluster, dict)
        or not (cluster.get("worker") or cluster.get("chief"))
        or not all(isinstance(hosts, list) for hosts in cluster.values())
    ):
        raise ValueError(
            'TF_CONFIG must name the cluster\'s workers: {"cluster": {"worker": '
            f"[...]}}, ...}}. Received: TF_CONFIG={value!r:.200}"
        )
    if (
        not isinstance(task, dict)
        or task.get("type") not in cluster
        or isinstance(task.get("index"), bool)
        or not isinstance(task.get("index"), int)
        or not 0 <= task["index"] < len(cluster[task["type"]])
    ):
        raise ValueError(
            "TF_CONFIG must name this process's task in the cluster: "
            '"task": {"type": "worker", "index": i}. '
            f"Received: TF_CONFIG={value!r:.200}"
        )
    return config


def is_chief(strategy=None):
    """Whether this process writes the run's files (the chief).

    The chief is the ``"chief"`` task when the cluster has one, else worker
    0; a strategy without a cluster (one machine) is always the chief.

    Args:
        strategy: A ``tf.distribute.Strategy``, or ``None`` for the one in
            scope.

    Returns:
        bool.

    Example:

    >>> is_chief()  # one machine: always the chief
    True
    """
    strategy = tf.distribute.get_strategy() if strategy is None else strategy
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if resolver is None or task_type is None:
        return True
    if task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and resolver.task_id == 0 and not has_chief


def num_workers(strategy=None):
    """Number of machines (processes) of the strategy's cluster (1 without one).

    Args:
        strategy: A ``tf.distribute.Strategy``, or ``None`` for the one in
            scope.

    Returns:
        The number of workers, an int >= 1.

    Example:

    >>> num_workers()
    1
    """
    strategy = tf.distribute.get_strategy() if strategy is None else strategy
    extended = getattr(strategy, "extended", None)
    count = getattr(extended, "_num_workers", None)
    return int(count) if count else 1


def synchronize_batch_norm(*models, strategy=None):
    """Makes ``BatchNormalization`` layers use global-batch statistics.

    On several replicas each one would otherwise normalise with the mean and
    variance of its own part of the batch, so N replicas would not compute
    what one replica computes on the whole batch (and the moving statistics
    would differ between workers). With ``synchronized=True`` (TensorFlow
    backend) the moments are all-reduced over the replicas at each step.
    Nothing changes on one replica; a saved model keeps the flag, which is
    harmless there.

    Args:
        *models: ``keras.Model``s (nested models and layers included).
        strategy: A ``tf.distribute.Strategy`` or ``None`` (the one in scope).

    Returns:
        The number of layers changed.

    Example:

    ```python
    strategy = get_strategy("mirrored")
    with strategy.scope():
        generator = kerasgen.build_generator()  # BatchNormalization blocks
        synchronize_batch_norm(generator, strategy=strategy)
    ```
    """
    strategy = tf.distribute.get_strategy() if strategy is None else strategy
    if strategy.num_replicas_in_sync <= 1:
        return 0
    import keras

    changed = 0
    for model in models:
        for layer in model._flatten_layers(include_self=True):
            if (
                isinstance(layer, keras.layers.BatchNormalization)
                and not layer.synchronized
            ):
                layer.synchronized = True
                changed += 1
    return changed


def barrier(strategy=None):
    """Waits until every worker of the strategy's cluster reaches this call.

    A no-op on one machine. Implemented as an all-reduce of one number, so
    every worker must call it the same number of times.

    Args:
        strategy: A ``tf.distribute.Strategy``, or ``None`` for the one in
            scope.

    Example:

    >>> barrier()  # one machine: returns at once
    """
    strategy = tf.distribute.get_strategy() if strategy is None else strategy
    if num_workers(strategy) > 1:
        one = strategy.run(lambda: tf.constant(1.0))
        strategy.reduce("SUM", one, axis=None).numpy()


def worker_out_dir(out_dir, strategy=None):
    """The folder this process writes its run files into.

    The chief writes into ``out_dir``. Any other worker gets a new private
    temporary folder, holding a copy of ``out_dir/backup`` when there is one,
    so that ``keras.callbacks.BackupAndRestore`` resumes every worker from
    the chief's last backup. Remove it with :func:`remove_worker_dir` at the
    end.

    Args:
        out_dir: The run folder (str).
        strategy: A ``tf.distribute.Strategy`` or ``None`` (the one in scope).

    Returns:
        A folder path (str).

    Example:

    >>> worker_out_dir("runs/gan")  # one machine: the chief's folder
    'runs/gan'
    """
    barrier(strategy)  # the chief's files of an earlier run are complete
    if is_chief(strategy):
        return out_dir
    worker_dir = tempfile.mkdtemp(prefix="kerasgen-worker-")
    backup = os.path.join(out_dir, BACKUP_DIR)
    if os.path.isdir(backup) and os.listdir(backup):
        shutil.copytree(backup, os.path.join(worker_dir, BACKUP_DIR))
    return worker_dir


def remove_worker_dir(worker_dir, out_dir):
    """Removes a non-chief worker's temporary folder (never ``out_dir``).

    Errors while removing are ignored; nothing happens when ``worker_dir``
    is ``out_dir`` (the chief's folder).

    Args:
        worker_dir: The folder :func:`worker_out_dir` returned.
        out_dir: The run folder passed to :func:`worker_out_dir`.

    Example:

    ```python
    folder = worker_out_dir(out_dir, strategy)
    try:
        ...  # train, writing into folder
    finally:
        remove_worker_dir(folder, out_dir)
    ```
    """
    if os.path.abspath(worker_dir) != os.path.abspath(out_dir):
        shutil.rmtree(worker_dir, ignore_errors=True)


def shard_by_data(dataset, strategy=None):
    """Makes a multi-worker run see the batches of a one-worker run.

    With ``AutoShardPolicy.DATA`` every worker reads the same input pipeline
    and keeps its part of each global batch, so step ``k`` trains on the same
    global batch whatever the number of workers (file sharding would give
    each worker different files instead). Returned unchanged on one worker.

    Args:
        dataset: A batched ``tf.data.Dataset`` (global batch size).
        strategy: A ``tf.distribute.Strategy`` or ``None``.

    Returns:
        The dataset, with the sharding option set on a multi-worker run.

    Example:

    ```python
    strategy = get_strategy("multi_worker")
    dataset = shard_by_data(kerasgen.load_dataset("mnist", batch_size=256), strategy)
    ```
    """
    if num_workers(strategy) <= 1:
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return dataset.with_options(options)


@contextlib.contextmanager
def run_folder(out_dir, strategy=None):
    """Context manager: yields :func:`worker_out_dir`, removed afterwards on non-chiefs.

    Args:
        out_dir: The run folder (str).
        strategy: A ``tf.distribute.Strategy`` or ``None`` (the one in scope).

    Yields:
        The folder this process writes into: ``out_dir`` on the chief, a
        temporary folder (removed on exit) on the other workers.

    Example:

    >>> with run_folder("runs/gan") as folder:  # one machine: the chief
    ...     folder
    'runs/gan'
    """
    folder = worker_out_dir(out_dir, strategy)
    try:
        yield folder
    finally:
        remove_worker_dir(folder, out_dir)


def _patch_keras_for_multi_worker():
    """Fixes two places where Keras 3's ``fit`` fails on several workers.

    Installed once, when the multi-worker strategy is created; one machine is
    not affected.

    * Keras reduces every log of a train / test step with
      ``strategy.reduce("MEAN", value, axis=0)`` under a multi-worker
      strategy, which fails for the scalar losses and metrics every model
      logs ("Invalid reduction dimension 0 for input with 0 dimensions",
      tensorflow/tensorflow#72388). Scalars are averaged over the replicas
      instead (what Keras does on one machine).
    * Before the first step Keras builds the model from the first
      distributed batch with ``strategy.reduce`` over the whole batch
      structure, which fails for ``(inputs, targets)`` tuples. The first
      replica's part of the batch is used instead (only its shapes and
      dtypes matter there, and no collective operation is needed).
    """
    from keras.src.backend.tensorflow import trainer

    original = trainer.reduce_per_replica
    if getattr(original, "_kerasgen_multi_worker_fix", False):
        return
    multi_worker = trainer._collective_all_reduce_multi_worker

    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not multi_worker(strategy):
            return original(values, strategy, reduction)

        def reduce_one(value):
            local = getattr(value, "values", (value,))[0]
            if getattr(local, "shape", None) is not None and local.shape.rank == 0:
                return strategy.reduce("MEAN", value, axis=None)
            return original(value, strategy, reduction)

        return tf.nest.map_structure(reduce_one, values)

    reduce_per_replica._kerasgen_multi_worker_fix = True
    trainer.reduce_per_replica = reduce_per_replica

    original_build = trainer.TensorFlowTrainer._maybe_symbolic_build

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if iterator is not None and strategy is not None and multi_worker(strategy):
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(
                    lambda value: strategy.experimental_local_results(value)[0],
                    next(batches),
                )
                break
            iterator = None
        return original_build(self, iterator=iterator, data_batch=data_batch)

    trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
