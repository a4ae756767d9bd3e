"""`kerasgen export MODEL.keras ...` through cli.main."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen import GAN
from kerasgen.cli import main
from kerasgen.models import build_discriminator, build_generator, build_unet


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keras_files")
    unet = build_unet(depth=1, base_filters=2, noise_level_input=True)
    unet.save(folder / "unet.keras")
    gan = GAN(
        build_generator(4, (8, 8, 1), base_filters=2, num_classes=2),
        build_discriminator((8, 8, 1), base_filters=2, num_classes=2),
        seed=0,
    )
    gan.compile()
    gan.save(folder / "gan.keras")
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(folder / "dense.keras")
    (folder / "broken.keras").write_bytes(b"not a zip file")
    return {"folder": folder, "unet": unet, "gan": gan}


@pytest.mark.slow
def test_export_unet_prints_folder_and_signatures(tmp_path, model_files, capsys):
    argv = ["export", str(model_files["folder"] / "unet.keras"), "--out", str(tmp_path), "--name", "den", "--version", "3"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "den" / "3"
    assert f"wrote {folder} (Functional 'unet')" in out
    assert (
        "  serving_default: images float32 (-1, -1, -1, 1), noise_sigma float32 (-1, 1)"
        " -> restored float32 (-1, -1, -1, 1)"
    ) in out
    assert "  restore_uint8: images uint8 (-1, -1, -1, 1), noise_sigma float32 (-1, 1) -> restored uint8" in out
    image = np.random.default_rng(0).random((1, 6, 8, 1), dtype="float32")
    served = tf.saved_model.load(str(folder)).signatures["serving_default"](
        images=tf.constant(image), noise_sigma=tf.constant([[0.2]])
    )
    expected = np.clip(np.asarray(model_files["unet"]([image, np.array([[0.2]], "float32")])), 0, 1)
    np.testing.assert_allclose(served["restored"].numpy(), expected, atol=1e-5)


def test_export_gan_default_name_and_existing_version(tmp_path, model_files, capsys):
    path = str(model_files["folder"] / "gan.keras")
    assert main(["export", path, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'generator' / '1'} (GAN " in out
    assert "  generate: labels int32 (-1,), seed int64 () -> images float32 (-1, 8, 8, 1)" in out
    assert "  serving_default: labels int32 (-1,), latent float32 (-1, 4) -> images float32" in out
    assert main(["export", path, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasgen export: error: The version folder") and "overwrite" in err
    assert "Traceback" not in err
    assert main(["export", path, "--out", str(tmp_path), "--overwrite"]) == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["missing.keras"], "MODEL must be a .keras file. Received: 'missing.keras' (not found)"),
        (["{folder}/broken.keras"], "could not load '{folder}/broken.keras' as a Keras model"),
        (["{folder}/dense.keras"], "Cannot export this model for serving. Supported:"),
        (["{folder}/unet.keras", "--name", "a/b"], "name must be a model name"),
    ],
    ids=["missing", "broken", "unsupported", "bad_name"],
)
def test_export_errors_exit_2_without_traceback(tmp_path, model_files, capsys, argv, message):
    folder = model_files["folder"]
    argv = [arg.format(folder=folder) for arg in argv]
    assert main(["export", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kerasgen export: error: ")
    assert message.format(folder=folder) in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_export_rejects_bad_version(tmp_path, model_files, capsys):
    assert main(["export", str(model_files["folder"] / "unet.keras"), "--version", "0"]) == 2
    assert "expected an integer >= 1. Received: '0'" in capsys.readouterr().err
