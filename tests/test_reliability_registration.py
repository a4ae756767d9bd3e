"""`import kerasgen` alone makes saved kerasgen models loadable (fresh processes)."""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # see setup.cfg: out of `pytest -m "not slow"`

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(code, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A GAN, a VAE and a U-Net compiled with kerasgen>psnr, saved in one process."""
    folder = tmp_path_factory.mktemp("saved")
    run(
        """
        import keras, kerasgen
        from kerasgen import metrics, models
        g = models.build_generator(latent_dim=4, image_shape=(8, 8, 1), base_filters=4)
        d = models.build_discriminator(image_shape=(8, 8, 1), base_filters=4)
        gan = kerasgen.GAN(g, d, seed=0); gan.compile(); gan.save("gan.keras")
        e = models.build_encoder((8, 8, 1), latent_dim=2, base_filters=4)
        v = kerasgen.VAE(e, models.build_decoder(2, (8, 8, 1), base_filters=4))
        v.compile(); v.save("vae.keras")
        unet = models.build_unet(depth=1, base_filters=4, pixel_unshuffle=2)
        unet.compile(loss="mae", metrics=[metrics.psnr, metrics.ssim]); unet.save("unet.keras")
        """,
        folder,
    )
    return folder


@pytest.mark.parametrize("order", ["kerasgen first", "keras first"])
def test_load_model_after_only_import_kerasgen(saved, order):
    imports = "import kerasgen\nimport keras" if order == "kerasgen first" else "import keras\nimport kerasgen"
    out = run(
        imports
        + """
import sys
assert "kerasgen.trainers" in sys.modules
for name in ("gan", "vae", "unet"):
    model = keras.models.load_model(name + ".keras")
    print(name, type(model).__name__)
""",
        saved,
    )
    assert "gan GAN" in out and "vae VAE" in out and "unet Functional" in out


def test_every_serializable_object_is_registered_by_import_kerasgen(saved):
    out = run(
        """
        import kerasgen, keras
        fresh = {k for k in keras.saving.get_custom_objects() if k.startswith("kerasgen>")}
        import importlib, pkgutil
        for info in pkgutil.walk_packages(kerasgen.__path__, "kerasgen."):
            if info.name not in ("kerasgen.__main__",):
                importlib.import_module(info.name)
        full = {k for k in keras.saving.get_custom_objects() if k.startswith("kerasgen>")}
        print(sorted(full - fresh)); print(sorted(full))
        """,
        saved,
    )
    missing, everything = out.strip().splitlines()[-2:]
    assert missing == "[]"
    for name in ("GAN", "VAE", "Sampling", "PixelShuffle", "psnr", "ssim", "bernoulli_nll"):
        assert f"kerasgen>{name}" in everything


def test_import_kerasgen_alone_still_does_not_import_tensorflow(saved):
    out = run(
        """
        import sys, kerasgen, kerasgen.restoration
        print("keras" in sys.modules, "tensorflow" in sys.modules)
        """,
        saved,
    )
    assert out.split() == ["False", "False"]
