"""README claims that drift silently when the code changes: the Layout section, defaults, shipped files.

Each test pins one checkable statement of README.md against the code as it is
(no training, no network, no ../shared data).
"""

import inspect
import json
import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title):
    """Text of the README section ``## title`` up to the next ``## `` heading."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else len(README)]


def _modules():
    """Relative paths of every Python module of kerasgen/ and benchmarks/."""
    return sorted(
        str(path.relative_to(ROOT))
        for folder in ("kerasgen", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
    )


def test_layout_names_every_module():
    # README, Layout: every module is listed (a sub-package's __init__.py
    # is the package itself, named by its folder).
    layout = _section("Layout")
    named = set(re.findall(r"([\w/]*?\w+\.py)`", layout))
    named_basenames = {os.path.basename(name) for name in named}
    missing = []
    for module in _modules():
        folder, base = os.path.split(module)
        if base == "__init__.py":
            if folder != "kerasgen" and f"`{folder}/`" not in layout and f"`{folder}/" not in layout:
                missing.append(module)
        elif folder == "benchmarks" and not base.startswith("_"):
            # Scripts are named where their figures are (Layout says so).
            if module not in README and base not in named_basenames:
                missing.append(module)
        elif base not in named_basenames:
            missing.append(module)
    assert not missing, f"modules missing from the README's Layout section: {missing}"


def test_layout_names_only_existing_modules():
    # README, Layout: every module it names exists.
    layout = _section("Layout")
    basenames = {os.path.basename(module) for module in _modules()}
    stale = [name for name in re.findall(r"`([\w/]*?\w+\.py)`", layout) if os.path.basename(name) not in basenames]
    stale += [
        folder
        for folder in re.findall(r"`((?:kerasgen|benchmarks|notebooks|saved_models|tests)/[\w/]*)`", layout)
        if not (ROOT / folder).exists()
    ]
    assert not stale, f"the README's Layout section names missing files: {stale}"


def test_shipped_denoisers_file_size_and_presets():
    # README: "5.6 MB file each"; presets.json holds each
    # shipped file's size and SHA-256.
    presets = json.loads((ROOT / "saved_models" / "presets.json").read_text(encoding="utf-8"))
    for name, preset in presets.items():
        path = ROOT / "saved_models" / preset["file"]
        assert path.stat().st_size == preset["bytes"], name
    for name in ("unet_denoise_gray", "unet_denoise_color"):
        size = (ROOT / "saved_models" / f"{name}.keras").stat().st_size
        assert round(size / 1e6, 1) == 5.6, (name, size)


def test_shipped_unet_architecture_parameter_counts():
    # README: both are build_unet(depth=4, base_filters=16, convs_per_level=2,
    # noise_level_input=True), 2.72 M parameters grey, 2.73 M colour.
    from kerasgen.models import build_unet

    for channels, millions in ((1, 2.72), (3, 2.73)):
        model = build_unet((None, None, channels), depth=4, base_filters=16, convs_per_level=2, noise_level_input=True)
        assert round(model.count_params() / 1e6, 2) == millions


def test_plug_and_play_schedule_defaults():
    # README, plug-and-play: 49/255 down to the data's noise level, 8
    # iterations for deblurring, 24 for super-resolution (every scale);
    # inpainting from 30/255 with 60 iterations; noise-free
    # inpainting and super-resolution end at 0.5/255, deblurring at 1e-3;
    # lambda 0.23 (deblur: None, chosen from the PSF).
    import numpy as np

    from kerasgen import plug_and_play as pnp

    deblur = inspect.signature(pnp.deblur).parameters
    assert deblur["iterations"].default == 8
    assert deblur["sigma_start"].default == pytest.approx(49 / 255)
    assert deblur["prior_weight"].default is None
    inpaint = inspect.signature(pnp.inpaint).parameters
    assert inpaint["iterations"].default == 60
    assert inpaint["sigma_start"].default == pytest.approx(30 / 255)
    assert inpaint["prior_weight"].default == pytest.approx(0.23)
    assert inspect.signature(pnp.super_resolve).parameters["sigma_start"].default == pytest.approx(49 / 255)

    levels = {}

    def recorder(task):
        def denoiser(image, sigma):
            levels.setdefault(task, []).append(sigma)
            return image

        return denoiser

    image = np.random.default_rng(0).random((16, 16)).astype("float32")
    psf = np.full((3, 3), 1 / 9)
    pnp.deblur(image, psf, sigma=0.0, model=recorder("deblur"), self_ensemble=False)
    pnp.inpaint(image, image > 0.5, model=recorder("inpaint"), self_ensemble=False)
    pnp.super_resolve(image, 2, model=recorder("x2"), self_ensemble=False)
    pnp.super_resolve(image, 3, model=recorder("x3"), self_ensemble=False)
    assert [len(levels[task]) for task in ("deblur", "inpaint", "x2", "x3")] == [8, 60, 24, 24]
    assert levels["deblur"][-1] == pytest.approx(1e-3)
    for task in ("inpaint", "x2", "x3"):
        assert levels[task][-1] == pytest.approx(0.5 / 255)
    assert levels["inpaint"][0] == pytest.approx(30 / 255)


def test_restore_default_overlap_is_32():
    # README, learned restoration: with tiles, overlap=None means 32 pixels;
    # tile must exceed twice the overlap (--tile 64 needs a smaller overlap).
    import numpy as np

    from kerasgen import inference
    from kerasgen.models import build_unet

    assert inference._DEFAULT_OVERLAP == 32
    model = build_unet((None, None, 1), depth=1, base_filters=4)
    image = np.random.default_rng(0).random((70, 70)).astype("float32")
    with pytest.raises(ValueError, match="overlap=32"):
        inference.restore(image, model, tile=64)
    assert inference.restore(image, model, tile=64, overlap=16).shape == (70, 70)


def test_estimate_noise_sigma_default_method():
    # README: estimate_noise_sigma defaults to the weak-texture estimator;
    # method="wavelet" is skimage's estimate_sigma.
    from kerasgen.restoration import NOISE_ESTIMATORS, estimate_noise_sigma

    assert inspect.signature(estimate_noise_sigma).parameters["method"].default == "weak_texture"
    assert set(NOISE_ESTIMATORS) == {"weak_texture", "wavelet"}


def test_compare_file_names_keep_letters_digits_underscore_dot_dash():
    # README, main job: compare's files are named after the image's stem,
    # keeping letters and digits of any script, "_", "." and "-"; each run
    # of other characters becomes "_"; a name over 100 bytes is cut and
    # given a hash.
    from kerasgen.restoration.samples import file_name_of

    assert file_name_of("my photo-é.v2_final") == "my_photo-é.v2_final"
    assert file_name_of("a  b!!c") == "a_b_c"
    assert file_name_of("图像") == "图像"
    long = file_name_of("x" * 300)
    assert len(long.encode("utf-8")) <= 100 and re.fullmatch(r"x+_[0-9a-f]{8}", long)
