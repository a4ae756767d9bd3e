"""`kerasgen export --pretrained NAME`: shipped models served with TensorFlow alone."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from kerasgen.cli import main
from kerasgen.inference import restore
from kerasgen.pretrained import load_pretrained

pytestmark = pytest.mark.slow  # see setup.cfg: out of `pytest -m "not slow"`

# A fresh interpreter: TensorFlow only, kerasgen never imported.
_SERVE = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf

    path, image, sigma = sys.argv[1], np.load(sys.argv[2]), float(sys.argv[3])
    function = tf.saved_model.load(path).signatures["serving_default"]
    names = sorted(function.structured_input_signature[1])
    feed = {"images": tf.constant(image[None, ..., None])}
    if "noise_sigma" in names:
        feed["noise_sigma"] = tf.constant([[sigma]], tf.float32)
    out = function(**feed)["restored"].numpy()[0, ..., 0]
    assert "kerasgen" not in sys.modules
    np.save(sys.argv[4], out)
    print("INPUTS " + json.dumps(names))
    """
)


def test_export_pretrained_denoiser_serves_like_restore(tmp_path, capsys):
    assert main(["export", "--pretrained", "unet_denoise_gray", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    version = tmp_path / "unet_denoise_gray" / "1"
    assert f"wrote {version}" in printed and "serving_default" in printed

    rng = np.random.default_rng(0)
    image = np.clip(0.5 + 0.1 * rng.standard_normal((40, 56)), 0, 1).astype("float32")
    np.save(tmp_path / "image.npy", image)
    completed = subprocess.run(
        [sys.executable, "-c", _SERVE, str(version), str(tmp_path / "image.npy"), "0.1", str(tmp_path / "out.npy")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    inputs = json.loads(completed.stdout.split("INPUTS ")[-1])
    model = load_pretrained("unet_denoise_gray")
    sigma = 0.1 if "noise_sigma" in inputs else None
    expected = restore(image, model, sigma=sigma)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=2e-5)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["export"], "give either MODEL"),
        (["export", "m.keras", "--pretrained", "vae_mnist"], "give either MODEL"),
        (["export", "--pretrained", "nope"], r"unknown pretrained model. Expected one of \["),
    ],
)
def test_export_pretrained_errors(tmp_path, capsys, argv, message):
    import re

    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert re.search(message, capsys.readouterr().err)
