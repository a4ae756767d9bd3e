"""Plug-and-play through repair_image, compare and the command line ("pnp")."""

import csv
import re

import numpy as np
import pytest
from skimage import data
from skimage.restoration import denoise_tv_chambolle

import kerasgen  # noqa: F401  (registers "unet" and "pnp")
from kerasgen import plug_and_play as pnp
from kerasgen import restoration as R
from kerasgen.cli import main
from kerasgen.restoration.repair import method_arguments, method_task, repair_methods


def tv_denoiser(image, sigma):
    """A cheap classical denoiser standing in for the shipped CNN."""
    return denoise_tv_chambolle(image, weight=sigma, channel_axis=-1 if image.ndim == 3 else None)


@pytest.fixture(scope="module")
def camera():
    return data.camera()[180:244, 200:264].astype(np.float32) / 255  # 64 x 64


@pytest.fixture
def shipped_is_tv(monkeypatch):
    """The CLI's default denoiser (model=None) replaced by `tv_denoiser`."""
    import kerasgen.pretrained

    monkeypatch.setattr(kerasgen.pretrained, "load_denoiser", lambda channels: tv_denoiser)


# ------------------------------------------------------------ repair_image


def test_pnp_is_registered_as_a_learned_method():
    assert {"pnp", "unet", "bilinear", "bicubic"} <= set(repair_methods())
    assert method_task("pnp") == "learned"
    assert set(method_arguments("pnp")) == {"psf", "mask", "scale", "sigma", "model"}
    assert method_task("bicubic") == "upscale" and method_arguments("bicubic") == ("scale",)


def test_repair_image_pnp_chooses_the_task_from_the_degradation(camera):
    psf = R.gaussian_psf(7, 1.2)
    blurred = R.add_gaussian_noise(R.blur(camera, psf, mode="reflect"), 0.01, seed=0)
    options = {"model": tv_denoiser, "iterations": 3}
    np.testing.assert_array_equal(
        R.repair_image(blurred, "pnp", psf=psf, sigma=0.01, **options),
        pnp.deblur(blurred, psf, sigma=0.01, **options),
    )
    mask = R.random_mask(camera.shape, 0.5, seed=0)
    holes = np.where(mask, 0, camera)
    np.testing.assert_array_equal(
        R.repair_image(holes, "pnp", mask=mask, **options), pnp.inpaint(holes, mask, sigma=0.0, **options)
    )
    small = R.downsample(camera, 2)
    large = R.repair_image(small, "pnp", scale=2, **options)
    np.testing.assert_array_equal(large, pnp.super_resolve(small, 2, sigma=0.0, **options))
    assert large.shape == camera.shape
    # sigma=None: estimated when deblurring
    estimated = R.estimate_noise_sigma(blurred)
    np.testing.assert_array_equal(
        R.repair_image(blurred, "pnp", psf=psf, **options), pnp.deblur(blurred, psf, sigma=estimated, **options)
    )


def test_repair_image_pnp_errors(camera):
    with pytest.raises(ValueError, match=r"exactly one degradation.*psf=.*mask=.*scale=.*none given"):
        R.repair_image(camera, "pnp", model=tv_denoiser)
    with pytest.raises(ValueError, match="Received: psf and scale given"):
        R.repair_image(camera, "pnp", psf=R.gaussian_psf(3, 1.0), scale=2, model=tv_denoiser)
    with pytest.raises(ValueError, match="tile= is not used by method='pnp'"):
        R.repair_image(camera, "pnp", scale=2, tile=32)
    with pytest.raises(ValueError, match="scale"):
        R.repair_image(camera, "pnp", scale=1, model=tv_denoiser)


def test_repair_image_upscaling_methods(camera):
    small = R.downsample(camera, 2)
    for method, order in (("bilinear", 1), ("bicubic", 3)):
        np.testing.assert_array_equal(R.repair_image(small, method, scale=2), R.upsample(small, 2, order=order))
    with pytest.raises(ValueError, match="needs the upscaling factor: pass scale="):
        R.repair_image(small, "bicubic")
    with pytest.raises(ValueError, match="scale= is not used by method='wiener'"):
        R.repair_image(small, "wiener", psf=R.gaussian_psf(3, 1.0), scale=2)


# ----------------------------------------------------------------- compare


def test_compare_upscaling_rows_classical_vs_pnp(camera):
    small = R.downsample(camera, 2)
    rows, figure = R.compare(
        camera, small, ("bicubic", "pnp"), scale=2, method_kwargs={"pnp": {"model": tv_denoiser}}
    )
    assert [row.method for row in rows] == ["degraded", "bicubic", "pnp"]
    enlarged = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    assert rows[0].psnr == pytest.approx(R.psnr(camera, enlarged))  # the input, pixels repeated
    assert rows[2].psnr > rows[1].psnr > rows[0].psnr
    assert figure.axes[1].images[0].get_array().shape == camera.shape
    assert R.default_methods(scale=2) == ("bilinear", "bicubic")
    with pytest.raises(ValueError, match="degraded to be clean shrunk 2 times"):
        R.compare(camera, small[:20], scale=2)
    with pytest.raises(ValueError, match="multiples of 3"):
        R.compare(camera, small, scale=3)


def test_compare_passes_each_method_the_degradation_it_uses(camera):
    psf = R.gaussian_psf(7, 1.2)
    blurred = R.add_gaussian_noise(R.blur(camera, psf, mode="reflect"), 0.01, seed=0)
    kwargs = {"pnp": {"model": tv_denoiser, "iterations": 4}, "wiener": {"mode": "reflect"}}
    rows, _ = R.compare(camera, blurred, ("wiener", "pnp"), sigma=0.01, psf=psf, method_kwargs=kwargs, figure=False)
    expected = pnp.deblur(blurred, psf, sigma=0.01, model=tv_denoiser, iterations=4)
    assert rows[2].psnr == pytest.approx(R.psnr(camera, expected))
    assert rows[2].psnr > rows[0].psnr + 1
    mask = R.random_mask(camera.shape, 0.5, seed=0)
    holes = np.where(mask, 0, camera)
    rows, _ = R.compare(
        camera, holes, ("biharmonic", "pnp"), mask=mask, method_kwargs={"pnp": {"model": tv_denoiser}}, figure=False
    )
    assert [row.method for row in rows] == ["degraded", "biharmonic", "pnp"]
    assert rows[2].psnr > rows[0].psnr + 10
    with pytest.raises(ValueError, match="exactly one degradation"):  # pnp on a denoising experiment
        R.compare(camera, camera, ("pnp",), sigma=0.01, method_kwargs={"pnp": {"model": tv_denoiser}})


# ------------------------------------------------------------- command line


def test_cli_restore_pnp_each_task(tmp_path, camera, shipped_is_tv, capsys):
    psf = R.gaussian_psf(2 * 3 + 1, 1.0)  # what --psf-std 1 builds
    R.save_image(tmp_path / "blurred.png", np.clip(R.blur(camera, psf, mode="reflect"), 0, 1))
    out = tmp_path / "sharp.png"
    assert main(["restore", str(tmp_path / "blurred.png"), str(out), "--method", "pnp", "--psf-std", "1",
                 "--sigma", "1"]) == 0  # fmt: skip
    assert R.psnr(camera, R.read_image(out)) > R.psnr(camera, R.read_image(tmp_path / "blurred.png")) + 1
    mask = R.random_mask(camera.shape, 0.5, seed=0)
    R.save_image(tmp_path / "mask.png", mask.astype(float))
    R.save_image(tmp_path / "holes.png", np.where(mask, 0.0, camera))
    assert main(["restore", str(tmp_path / "holes.png"), str(tmp_path / "filled.png"), "--method", "pnp",
                 "--mask", str(tmp_path / "mask.png")]) == 0  # fmt: skip
    assert R.psnr(camera, R.read_image(tmp_path / "filled.png")) > 25
    R.save_image(tmp_path / "small.png", R.downsample(camera, 2))
    assert main(["restore", str(tmp_path / "small.png"), str(tmp_path / "large.png"), "--method", "pnp",
                 "--scale", "2"]) == 0  # fmt: skip
    assert R.read_image(tmp_path / "large.png").shape == camera.shape
    assert "(pnp," in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--method", "pnp"], "needs exactly one of --psf-std.*Received: none"),
        (["--method", "pnp", "--psf-std", "1", "--scale", "2"], "Received: --psf-std and --scale"),
        (["--method", "pnp", "--scale", "2", "--tile", "32"], "--tile is not used by --method pnp"),
        (["--method", "bicubic"], "--method bicubic needs --scale"),
        (["--method", "tv", "--scale", "2"], "--scale is not used by --method tv"),
        (["--method", "wiener", "--psf-size", "5"], "needs the blur kernel"),
        (["--method", "bicubic", "--scale", "0"], "expected an integer >= 1"),
    ],
)
def test_cli_restore_pnp_user_errors(tmp_path, camera, capsys, extra, match):
    R.save_image(tmp_path / "in.png", camera)
    out = tmp_path / "out.png"
    assert main(["restore", str(tmp_path / "in.png"), str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and re.search(match, err), err
    assert not out.exists()


def test_cli_compare_experiments_with_pnp_rows(tmp_path, camera, shipped_is_tv, capsys):
    R.save_image(tmp_path / "cam.png", camera)
    image = ["--image", str(tmp_path / "cam.png"), "--out", str(tmp_path / "o")]
    assert main(["compare", *image, "--scale", "2"]) == 0
    assert main(["compare", *image, "--missing", "0.5"]) == 0
    assert main(["compare", *image, "--psf-std", "1", "--methods", "wiener,pnp"]) == 0
    stdout = capsys.readouterr().out
    assert "cam, shrunk x2 (restoration.downsample)" in stdout
    assert "cam, 50% of the pixels missing" in stdout
    assert "cam, Gaussian blur std 1 px, noise sigma 2.55/255, seed 0" in stdout
    files = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert files == sorted(f"compare_cam_{stem}.{ext}" for stem in ("x2", "missing50", "blur1_sigma2.55")
                           for ext in ("csv", "png"))  # fmt: skip
    for stem, methods in (("x2", ["bilinear", "bicubic", "pnp"]), ("missing50", ["biharmonic", "pnp"]),
                          ("blur1_sigma2.55", ["wiener", "pnp"])):  # fmt: skip
        with open(tmp_path / "o" / f"compare_cam_{stem}.csv", newline="") as file:
            rows = list(csv.DictReader(file))
        assert [row["method"] for row in rows] == ["degraded", *methods]
        assert float(rows[-1]["psnr"]) > float(rows[0]["psnr"])


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--scale", "2", "--methods", "tv"], "unknown method 'tv' for --methods (upscaling)"),
        (["--missing", "0.5", "--methods", "wiener"], "Expected some of: biharmonic, pnp"),
        (["--methods", "pnp"], "unknown method 'pnp' for --methods (denoising)"),
        (["--missing", "1.5"], "expected a fraction between 0 and 1"),
        (["--scale", "1"], "--scale must be >= 2"),
        (["--scale", "2", "--psf-std", "1"], "not allowed with argument"),
    ],
)
def test_cli_compare_experiment_errors(tmp_path, capsys, extra, match):
    assert main(["compare", *extra, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------- shipped denoisers


def _shipped(channels):
    from kerasgen.pretrained import load_denoiser

    try:
        model = load_denoiser(channels)
    except (FileNotFoundError, OSError) as error:
        pytest.skip(f"shipped denoiser for {channels} channel(s) not installed: {error}")
    if len(model.inputs) != 2:
        pytest.skip("the shipped denoiser has no noise-level input")
    return model


@pytest.mark.slow
@pytest.mark.parametrize("channels", [1, 3])
def test_model_none_is_the_shipped_denoiser_and_restores(camera, channels):
    model = _shipped(channels)
    clean = camera if channels == 1 else data.astronaut()[200:264, 200:264].astype(np.float32) / 255
    psf = R.gaussian_psf(7, 1.2)
    blurred = R.add_gaussian_noise(R.blur(clean, psf, mode="reflect"), 0.01, seed=0)
    restored = R.repair_image(blurred, "pnp", psf=psf, sigma=0.01, iterations=4)
    np.testing.assert_array_equal(restored, pnp.deblur(blurred, psf, sigma=0.01, model=model, iterations=4))
    assert R.psnr(clean, restored) > R.psnr(clean, blurred) + 2
    small = R.downsample(clean, 2)
    large = pnp.super_resolve(small, 2, iterations=4)
    assert R.psnr(clean, large) > R.psnr(clean, R.upsample(small, 2)) + 0.5
