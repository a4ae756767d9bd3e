"""Exported SavedModels, loaded and run outside kerasgen (TensorFlow only).

All models are exported once; one fresh Python process that imports only
TensorFlow loads every export, calls its signatures by name and saves the
outputs, which the tests compare with the Keras models computed here. The
`saved_model_cli` console script is run on the exports too.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen import GAN, VAE
from kerasgen.export import export_for_serving, serving_signatures
from kerasgen.inference import restore, size_multiple
from kerasgen.models import (
    build_decoder,
    build_discriminator,
    build_encoder,
    build_generator,
    build_unet,
)

pytestmark = pytest.mark.slow  # see setup.cfg: out of `pytest -m "not slow"`

LATENT_DIM = 8
ODD_SIZES = ((13, 21), (30, 17), (1, 9), (9, 1))  # 1-pixel rows / columns: padded per axis
SIGMA = 0.1

# Runs in a fresh interpreter: TensorFlow only, no kerasgen, no Keras objects.
_SERVE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf

    root, requests = sys.argv[1], json.load(open(sys.argv[2]))
    loaded = {}
    results = {}
    for key, (model, signature, inputs) in requests.items():
        if model not in loaded:
            loaded[model] = tf.saved_model.load(f"{root}/{model}/1")
        function = loaded[model].signatures[signature]
        feed = {}
        for name, value in inputs.items():
            if isinstance(value, str):
                value = np.load(f"{root}/{value}")
            feed[name] = tf.constant(value, dtype=function.structured_input_signature[1][name].dtype)
        for name, tensor in function(**feed).items():
            results[f"{key}/{name}"] = tensor.numpy()
    assert "kerasgen" not in sys.modules, "kerasgen was imported"
    np.savez(f"{root}/results.npz", **results)
    print("custom modules:", sorted(m for m in sys.modules if m.startswith("kerasgen")))
    """
)


def _set_batchnorm_statistics(model, rng):
    """Non-trivial moving statistics: inference and training modes differ."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            shape = layer.moving_mean.shape
            layer.moving_mean.assign(rng.normal(0, 0.5, shape).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2, shape).astype("float32"))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Exports every kind, computes Keras references, runs the TF-only process."""
    root = tmp_path_factory.mktemp("saved_models")
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    ref, requests = {}, {}

    def save(name, array):
        np.save(root / f"{name}.npy", array)
        return f"{name}.npy"

    # GAN (unconditional), exported through the GAN trainer object.
    generator = build_generator(LATENT_DIM, (8, 8, 1), base_filters=4)
    _set_batchnorm_statistics(generator, rng)
    gan = GAN(generator, build_discriminator((8, 8, 1), base_filters=4), seed=0)
    export_for_serving(gan, root, name="gan")
    latent = rng.normal(size=(3, LATENT_DIM)).astype("float32")
    ref["gan"] = np.asarray(generator(latent, training=False))
    requests["gan"] = ["gan", "serving_default", {"latent": save("latent", latent)}]
    for i, seed in enumerate((5, 5, 6), start=1):
        requests[f"gan_generate_{i}"] = ["gan", "generate", {"num_images": 4, "seed": seed}]
    z = tf.random.stateless_normal((4, LATENT_DIM), seed=tf.constant([5, 0], tf.int64)).numpy()
    ref["gan_generate_seed5"] = np.asarray(generator(z, training=False))

    # Conditional GAN given as a bare generator model.
    cgen = build_generator(LATENT_DIM, (8, 8, 1), base_filters=4, num_classes=3, name="cgen")
    _set_batchnorm_statistics(cgen, rng)
    export_for_serving(cgen, root, name="cgan")
    labels = np.array([0, 2, 1], "int32")
    ref["cgan"] = np.asarray(cgen([latent, labels[:, None]], training=False))
    requests["cgan"] = ["cgan", "serving_default", {"latent": "latent.npy", "labels": labels.tolist()}]
    requests["cgan_generate"] = ["cgan", "generate", {"labels": labels.tolist(), "seed": 7}]
    z = tf.random.stateless_normal((3, LATENT_DIM), seed=tf.constant([7, 0], tf.int64)).numpy()
    ref["cgan_generate"] = np.asarray(cgen([z, labels[:, None]], training=False))

    # VAE.
    vae = VAE(
        build_encoder((8, 8, 1), latent_dim=2, base_filters=4, seed=0),
        build_decoder(2, (8, 8, 1), base_filters=4),
    )
    export_for_serving(vae, root)
    vae_latent = rng.normal(size=(3, 2)).astype("float32")
    vae_images = rng.random((2, 8, 8, 1), dtype="float32")
    ref["vae_decode"] = vae.decode(vae_latent)
    ref["vae_encode"] = vae.encode(vae_images)
    requests["vae_decode"] = ["vae", "serving_default", {"latent": save("vae_latent", vae_latent)}]
    requests["vae_encode"] = ["vae", "encode", {"images": save("vae_images", vae_images)}]
    requests["vae_generate"] = ["vae", "generate", {"num_images": 2, "seed": 1}]

    # U-Nets: plain (default name) and with a noise-level input and pixel unshuffle.
    unet = build_unet(depth=2, base_filters=4)
    unet_sigma = build_unet(depth=1, base_filters=4, noise_level_input=True, pixel_unshuffle=2, name="ffd")
    export_for_serving(unet, root)
    export_for_serving(unet_sigma, root, name="unet_sigma")
    for height, width in ODD_SIZES:
        images = rng.random((2, height, width, 1), dtype="float32") * 1.2 - 0.1  # some out of range
        key = f"{height}x{width}"
        name = save(f"images_{key}", images)
        ref[f"unet_{key}"] = np.stack([restore(i[..., 0], unet)[..., None] for i in images])
        ref[f"unet_sigma_{key}"] = np.stack(
            [restore(i[..., 0], unet_sigma, sigma=SIGMA)[..., None] for i in images]
        )
        ref[f"images_{key}"] = images
        sigma = [[SIGMA], [SIGMA]]
        requests[f"unet_{key}"] = ["unet", "serving_default", {"images": name}]
        requests[f"unet_sigma_{key}"] = ["unet_sigma", "serving_default", {"images": name, "noise_sigma": sigma}]
        uint8 = np.clip(np.round(images * 255), 0, 255).astype("uint8")
        ref[f"uint8_{key}"] = uint8
        requests[f"unet_uint8_{key}"] = ["unet", "restore_uint8", {"images": save(f"uint8_{key}", uint8)}]

    (root / "requests.json").write_text(json.dumps(requests))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.run(
        [sys.executable, "-c", _SERVE_SCRIPT, str(root), str(root / "requests.json")],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    with np.load(root / "results.npz") as results:
        out = dict(results)
    return {"root": root, "ref": ref, "out": out, "stdout": process.stdout, "unet": unet, "unet_sigma": unet_sigma}


def test_loaded_without_kerasgen(served):
    assert "custom modules: []" in served["stdout"]


def test_layout_is_what_tf_serving_watches(served):
    root = served["root"]
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["cgan", "gan", "unet", "unet_sigma", "vae"]
    for model in ("cgan", "gan", "unet", "unet_sigma", "vae"):
        assert [p.name for p in (root / model).iterdir()] == ["1"]  # no temp folders left
        assert (root / model / "1" / "saved_model.pb").is_file()
        assert (root / model / "1" / "variables" / "variables.index").is_file()


def test_gan_serving_default_matches_keras(served):
    np.testing.assert_allclose(served["out"]["gan/images"], served["ref"]["gan"], atol=1e-5)


def test_conditional_gan_serving_default_matches_keras(served):
    np.testing.assert_allclose(served["out"]["cgan/images"], served["ref"]["cgan"], atol=1e-5)


def test_generate_is_deterministic_per_seed(served):
    out = served["out"]
    first, again, other = (out[f"gan_generate_{i}/images"] for i in (1, 2, 3))
    assert first.shape == (4, 8, 8, 1)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3
    # The graph draws tf.random.stateless_normal(seed=[seed, 0]).
    np.testing.assert_allclose(first, served["ref"]["gan_generate_seed5"], atol=1e-5)
    np.testing.assert_allclose(out["cgan_generate/images"], served["ref"]["cgan_generate"], atol=1e-5)


def test_vae_decode_encode_generate_match_keras(served):
    out, ref = served["out"], served["ref"]
    np.testing.assert_allclose(out["vae_decode/images"], ref["vae_decode"], atol=1e-5)
    np.testing.assert_allclose(out["vae_encode/z_mean"], ref["vae_encode"][0], atol=1e-5)
    np.testing.assert_allclose(out["vae_encode/z_log_var"], ref["vae_encode"][1], atol=1e-5)
    samples = out["vae_generate/images"]
    assert samples.shape == (2, 8, 8, 1) and 0 <= samples.min() and samples.max() <= 1


@pytest.mark.parametrize("size", ODD_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_unet_any_size_matches_restore(served, size):
    key = f"{size[0]}x{size[1]}"
    out, ref = served["out"], served["ref"]
    for model in ("unet", "unet_sigma"):
        restored = out[f"{model}_{key}/restored"]
        assert restored.shape == (2, *size, 1)
        assert restored.min() >= 0 and restored.max() <= 1  # clipped in the graph
        np.testing.assert_allclose(restored, ref[f"{model}_{key}"], atol=1e-5)


def test_unet_matches_model_on_reflect_padded_input(served):
    unet, images = served["unet"], served["ref"]["images_13x21"]
    multiple = size_multiple(unet)
    assert multiple == 4
    padded = np.pad(images, ((0, 0), (0, 3), (0, 3), (0, 0)), mode="reflect")
    expected = np.clip(np.asarray(unet(padded, training=False))[:, :13, :21], 0, 1)
    np.testing.assert_allclose(served["out"]["unet_13x21/restored"], expected, atol=1e-5)


def test_restore_uint8_signature(served):
    for height, width in ODD_SIZES:
        key = f"{height}x{width}"
        restored = served["out"][f"unet_uint8_{key}/restored"]
        assert restored.dtype == np.uint8 and restored.shape == (2, height, width, 1)
        floats = served["ref"][f"uint8_{key}"].astype("float32") / 255
        expected = np.stack([restore(i[..., 0], served["unet"])[..., None] for i in floats])
        assert np.abs(restored.astype(int) - np.round(expected * 255)).max() <= 1


def test_restorer_signatures_refuse_8_bit_noise_levels_and_images(served):
    # As restore() refuses them: sigma=25 and 0-255 float images were accepted.
    loaded = tf.saved_model.load(str(served["root"] / "unet_sigma" / "1"))
    serve, serve_uint8 = loaded.signatures["serving_default"], loaded.signatures["restore_uint8"]
    images = tf.constant(served["ref"]["images_13x21"])
    sigma = tf.constant([[SIGMA], [SIGMA]])
    sigma_message = r"noise_sigma must be in \[0, 1\] \(image units: divide 8-bit grey levels by 255"
    with pytest.raises(tf.errors.InvalidArgumentError, match=sigma_message):
        serve(images=images, noise_sigma=tf.constant([[25.0], [0.1]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=sigma_message):
        serve_uint8(images=tf.constant(served["ref"]["uint8_13x21"]), noise_sigma=tf.constant([[25.0], [25.0]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must be in \[0, 1\].*restore_uint8"):
        serve(images=images * 255, noise_sigma=sigma)
    with pytest.raises(tf.errors.InvalidArgumentError, match="images must not contain NaN or inf"):
        serve(images=images + float("nan"), noise_sigma=sigma)


def test_restorer_image_range_assert_follows_the_range_check_switch(tmp_path):
    import kerasgen

    unet = build_unet(depth=1, base_filters=2)
    previous = kerasgen.set_range_check(False)
    try:
        path = export_for_serving(unet, tmp_path, uint8_signature=False)
    finally:
        kerasgen.set_range_check(previous)
    images = np.full((1, 8, 8, 1), 100.0, "float32")
    served = tf.saved_model.load(path).signatures["serving_default"](images=tf.constant(images))
    assert served["restored"].shape == (1, 8, 8, 1)


def test_serving_signatures_lists_named_tensors(served):
    signatures = serving_signatures(served["root"] / "unet_sigma" / "1")
    assert sorted(signatures) == ["restore_uint8", "serving_default"]
    default = signatures["serving_default"]
    assert sorted(default["inputs"]) == ["images", "noise_sigma"]
    assert default["inputs"]["images"].shape.as_list() == [None, None, None, 1]
    assert default["outputs"]["restored"].dtype == tf.float32
    assert signatures["restore_uint8"]["inputs"]["images"].dtype == tf.uint8


def _saved_model_cli(*args):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.run([cli, *args], check=False, capture_output=True, text=True, env=env, timeout=300)
    assert process.returncode == 0, process.stderr[-3000:]
    return process.stdout


def test_saved_model_cli_show_lists_signatures(served):
    shown = _saved_model_cli("show", "--dir", str(served["root"] / "unet_sigma" / "1"), "--all")
    default = shown.split("signature_def['serving_default']:")[1].split("Method name")[0]
    assert "inputs['images'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, -1, -1, 1)" in default
    assert "inputs['noise_sigma'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 1)" in default
    assert "outputs['restored'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, -1, -1, 1)" in default
    uint8 = shown.split("signature_def['restore_uint8']:")[1].split("Method name")[0]
    assert "outputs['restored'] tensor_info:\n        dtype: DT_UINT8" in uint8
    assert "output_0" not in shown


def test_saved_model_cli_run_gives_keras_values(served):
    root = served["root"]
    _saved_model_cli(
        "run", "--dir", str(root / "gan" / "1"), "--tag_set", "serve",
        "--signature_def", "serving_default", "--inputs", f"latent={root / 'latent.npy'}",
        "--outdir", str(root / "cli_out"),
    )  # fmt: skip
    np.testing.assert_allclose(np.load(root / "cli_out" / "images.npy"), served["ref"]["gan"], atol=1e-5)
