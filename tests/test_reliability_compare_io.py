"""Reliability of `kerasgen compare` output names, output paths and image files in and out."""

import os
import unicodedata

import numpy as np
import pytest
from PIL import Image, ImageOps, JpegImagePlugin
from skimage import data, img_as_float32

from kerasgen.cli import main
from kerasgen.restoration import read_image, save_image
from kerasgen.restoration._atomic import check_output_path
from kerasgen.restoration.samples import file_name_of, load_sample


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(scope="module")
def small():
    return (np.random.default_rng(0).integers(0, 256, (24, 24)) / 255).astype(np.float32)


def test_compare_names_keep_non_ascii_letters(tmp_path, small, capsys):
    # Both used to become "compare__mg_...": the second run found the first one's files.
    for name in ("ï mg.png", "ä mg.png", "αβ.png"):
        save_image(tmp_path / name, small)
        args = ["compare", "--image", str(tmp_path / name), "--methods", "wavelet", "--out", str(tmp_path / "o")]
        assert main(args) == 0, capsys.readouterr().err
    assert _files(tmp_path / "o") == sorted(
        f"compare_{stem}_sigma25.{ext}" for stem in ("ï_mg", "ä_mg", "αβ") for ext in ("csv", "png")
    )


def test_file_name_of_is_stable_and_keeps_ascii_names():
    assert file_name_of("my image") == "my_image"  # documented, as before
    assert file_name_of("a_ b (1)") == "a__b_1_"
    assert file_name_of("") == "image"
    decomposed = unicodedata.normalize("NFD", "ïmage")  # as macOS stores names
    assert file_name_of(decomposed) == file_name_of("ïmage") == "ïmage"
    assert file_name_of("हिन्दी") == "हिन्दी"  # combining vowel signs are kept
    # No letter left: a hash of the stem keeps different names apart.
    assert file_name_of("☺").startswith("image_") and file_name_of("☺") != file_name_of("★")
    assert file_name_of("☺") == file_name_of("☺")
    long_a, long_b = file_name_of("a" * 240), file_name_of("a" * 239 + "b")
    assert long_a != long_b and len(long_a.encode()) <= 100


def test_load_sample_name_of_unicode_file(tmp_path, small):
    save_image(tmp_path / "ï mg.png", small)
    assert load_sample(str(tmp_path / "ï mg.png"))[0] == "ï_mg"


def test_compare_long_image_name_writes_its_files(tmp_path, small, capsys):
    # "compare_" + a 240-character stem + "_sigma25.png" is over 255 bytes:
    # the run used to fail at the final rename, after the whole computation.
    image = tmp_path / ("a" * 240 + ".png")
    save_image(image, small)
    assert main(["compare", "--image", str(image), "--methods", "wavelet", "--out", str(tmp_path / "o")]) == 0
    names = _files(tmp_path / "o")
    assert len(names) == 2 and all(len(name) <= 255 and name.startswith("compare_aaa") for name in names)


def test_output_name_too_long_is_refused_before_any_work(tmp_path, small, capsys):
    with pytest.raises(ValueError, match="at most 255 bytes"):
        check_output_path(tmp_path / ("b" * 300 + ".png"))
    save_image(tmp_path / "in.png", small)
    before = _files(tmp_path)
    assert main(["restore", str(tmp_path / "in.png"), str(tmp_path / ("b" * 300 + ".png")), "--method", "tv"]) == 2
    captured = capsys.readouterr()
    assert "at most 255 bytes" in captured.err and "estimated noise sigma" not in captured.out
    assert _files(tmp_path) == before


@pytest.mark.parametrize(
    "options, stem",
    [
        (["--sigma", "25"], "sigma25"),  # the documented names are unchanged
        (["--sigma", "25.000001"], "sigma25.000001"),  # was "sigma25", sharing sigma 25's files
        (["--missing", "0.5"], "missing50"),
        (["--missing", "0.1234567"], "missing12.34567"),  # was "missing12.3457"
    ],
)
def test_compare_names_keep_every_digit(tmp_path, small, capsys, options, stem):
    save_image(tmp_path / "x.png", small)
    methods = "biharmonic" if "--missing" in options else "wavelet"
    args = ["compare", "--image", str(tmp_path / "x.png"), *options, "--methods", methods, "--out", str(tmp_path)]
    assert main(args) == 0
    assert f"compare_x_{stem}.png" in _files(tmp_path)
    title = capsys.readouterr().out.splitlines()[0]
    assert ("25.000001/255" in title) == ("25.000001" in stem)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_read_image_applies_tiff_orientation(tmp_path, orientation):
    # TIFFs went through tifffile, which ignored the Orientation tag that the
    # PNG, JPEG and WebP readers apply: a rotated camera TIFF came in on its side.
    pixels = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3)).astype(np.uint8)
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(tmp_path / "o.tif", exif=exif.tobytes())
    image.save(tmp_path / "o.png", exif=exif.tobytes())
    upright = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "o.png"))) / np.float32(255)
    np.testing.assert_allclose(read_image(tmp_path / "o.tif"), upright, atol=1e-7)
    np.testing.assert_allclose(read_image(tmp_path / "o.png"), upright, atol=1e-7)


def test_read_image_orientation_of_16_bit_tiff(tmp_path):
    import tifffile

    pixels = np.arange(6 * 4, dtype=np.uint16).reshape(6, 4) * 2000
    tifffile.imwrite(tmp_path / "o.tif", pixels, extratags=[(274, 3, 1, 6, True)])  # 90 degrees clockwise
    np.testing.assert_array_equal(np.round(read_image(tmp_path / "o.tif") * 65535), np.rot90(pixels, -1))


def test_save_image_jpeg_keeps_full_colour_resolution_at_high_quality(tmp_path):
    # Pillow stores colour at half resolution (4:2:0) at any quality: quality=100
    # gave 40 dB on astronaut instead of 51 dB.
    image = img_as_float32(data.astronaut()[:64, :64])
    for quality, sampling in ((95, 0), (100, 0), (75, 2)):
        save_image(tmp_path / "a.jpg", image, quality=quality)
        with Image.open(tmp_path / "a.jpg") as jpeg:
            assert JpegImagePlugin.get_sampling(jpeg) == sampling
    save_image(tmp_path / "a.jpg", image, quality=100)
    assert np.abs(read_image(tmp_path / "a.jpg") - image).max() < 8 / 255
    save_image(tmp_path / "g.jpg", image[..., 0], quality=95)  # grey JPEGs are unaffected
    assert read_image(tmp_path / "g.jpg").shape == (64, 64)
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]


def test_compare_without_bm3d_fails_before_running_any_method(monkeypatch, small):
    # The other methods used to run first (minutes on a large image), then BM3D failed.
    import sys

    from kerasgen.restoration import comparison

    monkeypatch.setitem(sys.modules, "bm3d", None)  # as if bm3d were not installed
    ran = []
    monkeypatch.setattr(comparison, "repair_image", lambda image, method, **kwargs: ran.append(method) or image)
    with pytest.raises(ImportError, match="kerasgen\\[bm3d\\]"):
        comparison.compare(small, small, ["nl_means", "tv", "bm3d"], sigma=0.1, figure=False)
    assert ran == []


def test_compare_times_bm3d_without_its_import(monkeypatch, small):
    import sys
    import types

    from kerasgen.restoration import comparison

    imported = []
    fake = types.ModuleType("bm3d")
    monkeypatch.setitem(sys.modules, "bm3d", fake)
    monkeypatch.setattr(comparison, "import_bm3d", lambda: imported.append(True) or fake)
    monkeypatch.setattr(comparison, "repair_image", lambda image, method, **kwargs: imported.append(method) or image)
    comparison.compare(small, small, ["bm3d"], sigma=0.1, figure=False)
    assert imported == [True, "bm3d"]  # imported before the timed call


@pytest.mark.parametrize("photometric, channels", [("rgb", 4), ("minisblack", 2)])
def test_read_image_composites_premultiplied_tiff_alpha(tmp_path, photometric, channels):
    # tifffile gives premultiplied colour as stored; compositing it as straight
    # colour multiplied by the alpha twice: 177 instead of 227 here.
    import tifffile

    pixels = np.zeros((4, 4, channels), np.uint8)
    pixels[..., :-1], pixels[..., -1] = 100, 128  # colour 200 premultiplied by alpha 128
    tifffile.imwrite(tmp_path / "a.tif", pixels, photometric=photometric, extrasamples=["assocalpha"])
    np.testing.assert_allclose(read_image(tmp_path / "a.tif") * 255, 100 + 255 - 128, atol=1e-3)
    np.testing.assert_allclose(read_image(tmp_path / "a.tif", alpha="drop") * 255, 100 * 255 / 128, atol=1e-3)
    pixels[..., :-1] = 200  # straight (unassociated) alpha is unchanged
    tifffile.imwrite(tmp_path / "u.tif", pixels, photometric=photometric, extrasamples=["unassalpha"])
    np.testing.assert_allclose(read_image(tmp_path / "u.tif") * 255, 200 * 128 / 255 + 255 - 128, atol=1e-3)


def test_read_image_warns_when_a_16_bit_colour_tiff_falls_back_to_8_bits(tmp_path, monkeypatch):
    # LZW / JPEG TIFFs need the imagecodecs package in tifffile; without it Pillow
    # read a 16-bit colour TIFF at 8 bits, silently (the docstring promised 16).
    import warnings

    import tifffile

    from kerasgen.restoration import io as image_io

    pixels = np.random.default_rng(0).integers(0, 65536, (5, 7, 3)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "c.tif", pixels, photometric="rgb")
    tifffile.imwrite(tmp_path / "g.tif", pixels[..., 0])
    monkeypatch.setattr(image_io, "_read_tiff", lambda path, max_pixels: None)  # as tifffile failing on LZW
    with pytest.warns(UserWarning, match="16-bit TIFF .* imagecodecs.* 8-bit precision"):
        read_image(tmp_path / "c.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a 16-bit grey TIFF keeps its precision in Pillow: no warning
        np.testing.assert_array_equal(np.round(read_image(tmp_path / "g.tif") * 65535), pixels[..., 0])


def test_repair_image_with_an_array_as_method_names_its_shape_not_its_values():
    from kerasgen.restoration import repair_image

    psf = np.full((15, 15), 1 / 225)
    with pytest.raises(ValueError, match=r"Unknown method an array of shape \(15, 15\)\. Expected one of") as info:
        repair_image(np.zeros((16, 16)), psf)
    assert "0.0044" not in str(info.value)  # no dump of the array's values


@pytest.mark.parametrize("scale", [2.0, True])
def test_repair_image_upscaling_names_scale_not_the_inner_factor(scale):
    from kerasgen.restoration import repair_image

    with pytest.raises(TypeError, match=r"scale must be an integer upscaling factor.*Received: scale="):
        repair_image(np.zeros((8, 8), np.float32), "bicubic", scale=scale)


def test_inpaint_refuses_an_unknown_keyword_even_when_nothing_is_missing():
    from kerasgen.restoration import inpaint

    image = np.zeros((8, 8))
    for mask in (np.zeros((8, 8), bool), np.eye(8, dtype=bool)):
        with pytest.raises(TypeError, match=r"takes \['split_into_regions'\]\. Received: \['mode'\]"):
            inpaint(image, mask, mode="constant")
