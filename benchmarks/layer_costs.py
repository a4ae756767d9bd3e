"""Where a GAN / VAE train step spends its time: each layer's cost, float32 vs bfloat16.

For every layer of the keras.io recipes' networks (``keras_io_recipes.py``,
the networks ``train_throughput.py --vs-recipe`` trains), times one forward
pass and one forward + backward pass (gradients for the layer's input and
weights, as in a train step) at the batch the layer sees in a step
(generator 64, discriminator 128 = real + generated, VAE 128), under
``float32`` and ``mixed_bfloat16``, each compiled with ``tf.function``. The
last column is the bfloat16 speed-up of the layer; the totals bound what a
trainer can gain from bfloat16 for these networks without changing them.

The machine may be shared with other work: compare rows through their
ratios.

Usage::

    python benchmarks/layer_costs.py                 # all four networks
    python benchmarks/layer_costs.py --nets generator --repeats 40
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import keras_io_recipes as R
import numpy as np
import tensorflow as tf
from _cli import run

from kerasgen.precision import precision_scope

# Every layer and policy gets its own tf.function (deliberately): no "retracing" warnings.
tf.get_logger().setLevel("ERROR")

NETS = {
    "generator": (R.recipe_generator, 64),
    "discriminator": (R.recipe_discriminator, 128),
    "encoder": (R.recipe_encoder, 128),
    "decoder": (R.recipe_decoder, 128),
}


def _best_ms(fn, repeats):
    """Best of ``repeats`` timed calls (after two untimed ones), in ms."""
    fn()
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        float(np.asarray(fn()))
        best = min(best, time.perf_counter() - start)
    return 1000 * best


def layer_times(layer, input_shape, policy, repeats):
    """``(forward ms, forward + backward ms)`` of a fresh copy of ``layer`` under ``policy``."""
    config = {k: v for k, v in layer.get_config().items() if k != "dtype"}
    with precision_scope(policy):
        layer = layer.__class__.from_config(config)  # the global policy applies
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    inputs = [tf.random.uniform(s) for s in shapes]
    layer_input = inputs if isinstance(input_shape, list) else inputs[0]
    layer(layer_input)  # builds the weights

    def output_sum():
        outputs = layer(layer_input)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return tf.add_n([tf.reduce_sum(tf.cast(o, "float32")) for o in outputs])

    @tf.function
    def forward():
        return output_sum()

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            total = output_sum()
        grads = tape.gradient(total, inputs + layer.trainable_variables)
        return tf.add_n([tf.reduce_sum(tf.cast(g, "float32")) for g in grads if g is not None])

    return _best_ms(forward, repeats), _best_ms(forward_backward, repeats)


def network_rows(name, repeats):
    """Yields ``(layer name, shape, f32 fwd, f32 fwd+bwd, bf16 fwd, bf16 fwd+bwd)``."""
    build, batch = NETS[name]
    model = build()
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        shape = layer.input.shape if not isinstance(layer.input, list) else None
        if shape is None:
            input_shape = [(batch, *t.shape[1:]) for t in layer.input]
        else:
            input_shape = (batch, *shape[1:])
        f32 = layer_times(layer, input_shape, "float32", repeats)
        bf16 = layer_times(layer, input_shape, "mixed_bfloat16", repeats)
        yield layer.name, input_shape, f32, bf16


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nets", default=",".join(NETS), help="comma-separated: " + ", ".join(NETS))
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per figure (best)")
    args = parser.parse_args(argv)
    nets = [n.strip() for n in args.nets.split(",") if n.strip()]
    unknown = sorted(set(nets) - set(NETS))
    if unknown or not nets:
        parser.error(f"--nets must be some of {sorted(NETS)}. Received: {args.nets!r}")
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    header = (
        f"{'network':<14}{'layer':<26}{'f32 fwd':>9}{'f32 f+b':>9}"
        f"{'bf16 fwd':>10}{'bf16 f+b':>10}{'bf16 gain':>10}"
    )
    print(f"ms per call, best of {args.repeats}; f+b = forward + backward")
    print(header)
    print("-" * len(header))
    for name in nets:
        total = np.zeros(4)
        for layer, _, f32, bf16 in network_rows(name, args.repeats):
            total += (*f32, *bf16)
            print(
                f"{name:<14}{layer:<26}{f32[0]:>9.2f}{f32[1]:>9.2f}{bf16[0]:>10.2f}"
                f"{bf16[1]:>10.2f}{f32[1] / bf16[1]:>9.2f}x",
                flush=True,
            )
        print(
            f"{name:<14}{'TOTAL':<26}{total[0]:>9.2f}{total[1]:>9.2f}{total[2]:>10.2f}"
            f"{total[3]:>10.2f}{total[1] / total[3]:>9.2f}x",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
