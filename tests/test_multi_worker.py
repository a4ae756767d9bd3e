"""Two-worker training (MultiWorkerMirroredStrategy on 127.0.0.1) equals one worker.

Two worker processes join a cluster on loopback ports (see
``_multi_worker_job.py``), train a tiny GAN (interrupted after one epoch and
resumed from the chief's backup) and a tiny U-Net through the recipes, and
worker 1 trains the same models on one device with the same global batch.

Tolerance: 1e-5 absolute on every weight (the runs move them by more than
1e-3). Both runs see the same global batches (``AutoShardPolicy.DATA``), the
same batch-norm statistics (synchronized) and the same noise (per-replica
slices of a global draw); only the order of float32 sums differs (two
half-batch gradients all-reduced vs one whole-batch gradient), measured at
~1e-7. The job trains with SGD instead of the recipes' Adam, which would turn
that rounding into full-size steps on near-zero gradient components, and
without dropout (Keras draws dropout masks per replica).
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # two TensorFlow processes, ~45 s

JOB = os.path.join(os.path.dirname(__file__), "_multi_worker_job.py")
TOLERANCE = 1e-5


def _free_ports(count):
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("multi_worker")
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    procs = []
    for index in range(2):
        temp = work / f"tmp_{index}"
        temp.mkdir()
        env = dict(os.environ)
        env.update(
            {
                "KERAS_BACKEND": "tensorflow",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "CUDA_VISIBLE_DEVICES": "",
                "TMPDIR": str(temp),  # the workers' private folders land here
                "TF_CONFIG": json.dumps(
                    {
                        "cluster": {"worker": workers},
                        "task": {"type": "worker", "index": index},
                    }
                ),
            }
        )
        with open(work / f"log_{index}.txt", "w") as log:  # the child keeps its copy
            procs.append(
                subprocess.Popen(
                    [sys.executable, JOB, str(work)],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        for proc in procs:
            proc.wait(timeout=300)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for index, proc in enumerate(procs):
        text = (work / f"log_{index}.txt").read_text()
        assert proc.returncode == 0, f"worker {index} failed:\n{text[-6000:]}"
    results = [json.loads((work / f"result_{i}.json").read_text()) for i in range(2)]
    return work, results


def _max_diff(a, b):
    assert len(a) == len(b)
    return max(float(np.max(np.abs(np.array(x) - np.array(y)))) for x, y in zip(a, b))


def test_cluster_has_two_workers_and_one_chief(run):
    _, (chief, other) = run
    assert chief["replicas"] == other["replicas"] == 2
    assert (chief["chief"], other["chief"]) == (True, False)


@pytest.mark.parametrize("model", ["gan", "unet"])
def test_two_workers_equal_one_worker(run, model):
    _, (chief, other) = run
    assert _max_diff(chief[model], other[model]) == 0.0  # replicas stay in sync
    reference = other[f"{model}_single"]
    assert _max_diff(reference, other[f"{model}_initial"]) > 100 * TOLERANCE  # it trained
    assert _max_diff(chief[model], reference) < TOLERANCE


def test_interrupted_run_resumed_from_chief_backup(run):
    _, (chief, other) = run
    # The crash came after the backup of epoch 1: every worker saw it and
    # resumed from it (the GAN comparison above is against an uninterrupted run).
    assert chief["backup_after_crash"] and chief["backup_after_crash"] == other["backup_after_crash"]


def test_only_the_chief_writes(run):
    work, _ = run
    gan = sorted(os.listdir(work / "gan"))
    assert gan == ["gan.keras", "history.csv", "loss_curves.png", "samples"]
    assert {"best.keras", "last.keras", "history.csv"} <= set(os.listdir(work / "unet"))
    assert "backup" not in os.listdir(work / "unet")  # deleted when done
    # The other worker's private folders were removed.
    assert os.listdir(work / "tmp_1") == []
    history = (work / "gan" / "history.csv").read_text().splitlines()
    assert len(history) == 3  # header + epochs 1 and 2, each written once
