"""GAN/VAE under tf.distribute.MirroredStrategy on two logical CPUs.

A training run on 2 replicas must equal a run on 1 replica with the same
global batch: losses are averaged over the global batch and each replica's
noise is its slice of a global-batch draw. SGD is used because Adam is
invariant to a constant gradient scale and would hide a wrong average.

Two logical CPU devices must be configured before TensorFlow initialises,
which is impossible inside the running pytest process: the scenario runs in a
fresh interpreter and prints its measurements as JSON.
"""

import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import json
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras
import numpy as np

from kerasgen.layers import Sampling
from kerasgen.precision import precision_scope
from kerasgen.trainers import GAN, VAE

SIDE, LATENT = 8, 4
rng = np.random.default_rng(0)
images = rng.uniform(-1, 1, (16, SIDE, SIDE, 1)).astype("float32")
binary = (images > 0).astype("float32")


def generator():
    z = keras.Input((LATENT,))
    x = keras.layers.Dense(16, activation="relu")(z)
    x = keras.layers.Dense(SIDE * SIDE, activation="tanh")(x)
    return keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(x))


def discriminator():
    x = keras.Input((SIDE, SIDE, 1))
    y = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(x))
    return keras.Model(x, keras.layers.Dense(1)(y))


def encoder():
    x = keras.Input((SIDE, SIDE, 1))
    h = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(x))
    z_mean = keras.layers.Dense(2)(h)
    z_log_var = keras.layers.Dense(2)(h)
    # A real (seeded) Sampling layer: replicas must not share its noise.
    z = Sampling(seed=3)([z_mean, z_log_var])
    return keras.Model(x, [z_mean, z_log_var, z])


def decoder():
    z = keras.Input((2,))
    h = keras.layers.Dense(SIDE * SIDE, activation="sigmoid")(z)
    return keras.Model(z, keras.layers.Reshape((SIDE, SIDE, 1))(h))


keras.utils.set_random_seed(0)
INITIAL = {
    "gan": [m.get_weights() for m in (generator(), discriminator())],
    "vae": [m.get_weights() for m in (encoder(), decoder())],
}


def train(strategy, kind, policy="float32", **compile_kwargs):
    with strategy.scope(), precision_scope(policy):
        if kind == "gan":
            subs = [generator(), discriminator()]
        else:
            subs = [encoder(), decoder()]
        for sub, weights in zip(subs, INITIAL[kind]):
            sub.set_weights(weights)
        if kind == "gan":
            model = GAN(*subs, seed=7)
            model.compile(
                keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), **compile_kwargs
            )
            data = images
        else:
            model = VAE(*subs)
            model.compile(keras.optimizers.SGD(0.01))
            data = binary
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(8)
    history = model.fit(dataset, epochs=2, verbose=0)
    weights = [w for sub in subs for w in sub.get_weights()]
    return weights, history.history, model


def max_diff(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


one = tf.distribute.OneDeviceStrategy("/cpu:0")
two = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert two.num_replicas_in_sync == 2
results = {}
cases = {
    "gan_non_saturating": ("gan", {"loss": "non_saturating", "d_steps": 2}),
    "gan_wgan_gp": ("gan", {"loss": "wgan_gp"}),
    "vae": ("vae", {}),
    # Mixed precision: bfloat16 (no loss scaling) and float16 (LossScaleOptimizer).
    "gan_bfloat16": ("gan", {"policy": "mixed_bfloat16"}),
    "vae_bfloat16": ("vae", {"policy": "mixed_bfloat16"}),
    "gan_float16": ("gan", {"policy": "mixed_float16"}),
    "vae_float16": ("vae", {"policy": "mixed_float16"}),
}
for name, (kind, kwargs) in cases.items():
    w1, h1, _ = train(one, kind, **kwargs)
    w2, h2, model = train(two, kind, **kwargs)
    initial = [w for ws in INITIAL[kind] for w in ws]
    results[name] = {
        "weight_diff": max_diff(w1, w2),
        "trained_by": max_diff(w1, initial),
        "history_diff": max(
            abs(a - b) for key in h1 for a, b in zip(h1[key], h2[key])
        ),
        "keys": sorted(h2),
        "loss_scaled": [
            isinstance(o, keras.optimizers.LossScaleOptimizer)
            for o in ((model.d_optimizer, model.g_optimizer) if kind == "gan" else (model.optimizer,))
        ],
    }
print("RESULTS " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def results():
    env = dict(os.environ)
    env.update(
        {
            "KERAS_BACKEND": "tensorflow",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "CUDA_VISIBLE_DEVICES": "",  # compare CPU replicas only
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        check=False,  # the assertion below reports stdout/stderr
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULTS ")]
    assert proc.returncode == 0 and lines, (
        f"subprocess failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr[-5000:]}"
    )
    return json.loads(lines[-1][len("RESULTS ") :])


@pytest.mark.parametrize("case", ["gan_non_saturating", "gan_wgan_gp", "vae"])
def test_two_replicas_match_one_replica(results, case):
    result = results[case]
    assert result["trained_by"] > 1e-3  # the runs really trained
    assert result["weight_diff"] < 1e-5, result
    assert result["history_diff"] < 1e-5, result


@pytest.mark.parametrize("case", ["gan_bfloat16", "vae_bfloat16", "gan_float16", "vae_float16"])
def test_mixed_precision_under_mirrored_strategy(results, case):
    result = results[case]
    assert result["trained_by"] > 1e-3
    assert result["keys"] == results["gan_non_saturating" if case.startswith("gan") else "vae"]["keys"]
    # Loss scaling for float16 only.
    assert result["loss_scaled"] == [case.endswith("_float16")] * len(result["loss_scaled"])
    if "bfloat16" in case:
        # Same training up to bfloat16 rounding (kernels round differently
        # for different batch sizes). float16 is not compared: which steps
        # the dynamic loss scale skips depends on per-replica gradients.
        assert result["weight_diff"] < 0.1 * result["trained_by"], result


def test_distributed_history_keys(results):
    assert results["gan_non_saturating"]["keys"] == ["d_loss", "g_loss", "loss"]
    assert results["gan_wgan_gp"]["keys"] == ["d_loss", "g_loss", "gradient_penalty", "loss"]
    assert results["vae"]["keys"] == ["kl_loss", "loss", "reconstruction_loss"]
