"""The shipped models load from the installed package, offline, and work.

Runs in a fresh interpreter whose working directory is a temporary folder, so
``kerasgen`` is the installed package (site-packages after ``pip install .``),
not the source checkout.
"""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # see setup.cfg: out of `pytest -m "not slow"`

_SCRIPT = r"""
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
from skimage import data
import kerasgen
from kerasgen import restoration as R
from kerasgen.pretrained import list_pretrained, load_pretrained

out = {"file": kerasgen.__file__, "names": list_pretrained()}
clean = data.camera()[128:384, 128:384] / 255.0
noisy = R.add_gaussian_noise(clean, 25 / 255, seed=0)
restored = kerasgen.restore(noisy, load_pretrained("unet_denoise_gray"))
out["unet"] = [R.psnr(clean, noisy), R.psnr(clean, restored), list(restored.shape)]
gan = load_pretrained("dcgan_mnist")
out["dcgan"] = list(gan.generate(4, seed=0).shape)
cgan = load_pretrained("cdcgan_mnist")
out["cdcgan"] = list(cgan.generate(3, seed=0, labels=[0, 1, 2]).shape)
vae = load_pretrained("vae_mnist")
samples = vae.sample(4, seed=0)
out["vae"] = [list(samples.shape), float(samples.min()), float(samples.max()), list(vae.encode(samples)[0].shape)]
out["vae_2d"] = list(load_pretrained("vae_mnist_2d").encode(samples)[0].shape)
import zipfile
from kerasgen.pretrained import _search_dirs
folder = _search_dirs()[0]
out["optimizers"] = [
    "optimizer" in zipfile.ZipFile(folder / f"{name}.keras").read("config.json").decode()
    for name in ("dcgan_mnist", "vae_mnist", "vae_mnist_2d")
]
out["dtypes"] = sorted({l.compute_dtype for m in (gan.generator, vae.decoder) for l in m.layers if l.weights})
print("RESULT " + json.dumps(out))
"""


def test_shipped_models_load_from_the_installed_package(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    line = [x for x in completed.stdout.splitlines() if x.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT ") :])
    assert {"unet_denoise_gray", "dcgan_mnist", "cdcgan_mnist", "vae_mnist", "vae_mnist_2d"} <= set(
        result["names"]
    )
    noisy_psnr, restored_psnr, shape = result["unet"]
    assert shape == [256, 256]
    # The blind denoiser gains far more than a trivial smoother on unseen data.
    assert restored_psnr > noisy_psnr + 8.0, result["unet"]
    assert result["dcgan"] == [4, 28, 28, 1]
    assert result["cdcgan"] == [3, 28, 28, 1]
    vae_shape, vae_min, vae_max, latent_shape = result["vae"]
    assert vae_shape == [4, 28, 28, 1]
    assert 0.0 <= vae_min <= vae_max <= 1.0
    assert latent_shape == [4, 32]  # the density model; the 2-D one draws the latent map
    assert result["vae_2d"] == [4, 2]
    # Inference files: float32, no optimizer state.
    assert result["optimizers"] == [False, False, False]
    assert result["dtypes"] == ["float32"]
