"""read_image / save_image: formats, round trips, atomic writes, clear errors."""

import os

import numpy as np
import pytest
from PIL import Image

from kerasgen.restoration import read_image, save_image


def _listing(folder):
    return sorted(os.listdir(folder))


@pytest.mark.parametrize("shape", [(12, 17), (12, 17, 3)])
@pytest.mark.parametrize("extension", [".png", ".tif"])
def test_8bit_round_trip_is_exact(tmp_path, rng, shape, extension):
    image = rng.integers(0, 256, shape).astype(np.float32) / 255
    path = tmp_path / f"x{extension}"
    assert save_image(path, image) == str(path)
    back = read_image(path)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, image)
    assert _listing(tmp_path) == [path.name]  # no temporary file left


def test_file_round_trip_keeps_the_bytes(tmp_path, rng):
    pixels = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    save_image(tmp_path / "b.png", read_image(tmp_path / "a.png"))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "b.png")), pixels)


def test_16bit_gray_png_round_trip(tmp_path, rng):
    image = rng.integers(0, 65536, (10, 13)).astype(np.float64) / 65535
    save_image(tmp_path / "x.png", image, bit_depth=16)
    assert Image.open(tmp_path / "x.png").mode.startswith("I;16")
    np.testing.assert_allclose(read_image(tmp_path / "x.png"), image, atol=1e-7)


def test_reads_16bit_gray_png_and_16bit_rgb_tiff(tmp_path):
    import tifffile

    gray = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)
    Image.fromarray(gray).save(tmp_path / "g.png")
    np.testing.assert_allclose(read_image(tmp_path / "g.png"), gray / 65535, rtol=1e-6)
    rgb = (np.arange(2 * 3 * 3).reshape(2, 3, 3) * 3001).astype(np.uint16)
    tifffile.imwrite(tmp_path / "c.tif", rgb, photometric="rgb")
    back = read_image(tmp_path / "c.tif")
    assert back.shape == (2, 3, 3)
    np.testing.assert_allclose(back, rgb / 65535, rtol=1e-6)


def test_16bit_rgb_tiff_round_trip(tmp_path, rng):
    image = rng.random((6, 7, 3))
    save_image(tmp_path / "x.tiff", image, bit_depth=16)
    np.testing.assert_allclose(read_image(tmp_path / "x.tiff"), image, atol=1 / 65535)


def test_rgba_composite_on_white_or_drop(tmp_path):
    pixels = np.zeros((2, 2, 4), dtype=np.uint8)
    pixels[..., 0] = 255  # red
    pixels[0, 0, 3] = 255  # opaque
    pixels[0, 1, 3] = 0  # fully transparent
    pixels[1, :, 3] = 51  # 20 % opaque
    Image.fromarray(pixels, "RGBA").save(tmp_path / "x.png")
    composite = read_image(tmp_path / "x.png")
    assert composite.shape == (2, 2, 3)
    np.testing.assert_allclose(composite[0, 0], [1, 0, 0])
    np.testing.assert_allclose(composite[0, 1], [1, 1, 1])
    np.testing.assert_allclose(composite[1, 0], [1, 0.8, 0.8], atol=1e-6)
    dropped = read_image(tmp_path / "x.png", alpha="drop")
    np.testing.assert_allclose(dropped[..., 0], 1)
    np.testing.assert_allclose(dropped[..., 1:], 0)


def test_gray_alpha_gives_gray(tmp_path):
    pixels = np.array([[[0, 255], [0, 0]]], dtype=np.uint8)  # black opaque, black transparent
    Image.fromarray(pixels, "LA").save(tmp_path / "x.png")
    image = read_image(tmp_path / "x.png")
    assert image.shape == (1, 2)
    np.testing.assert_allclose(image, [[0, 1]])
    np.testing.assert_allclose(read_image(tmp_path / "x.png", alpha="drop"), [[0, 0]])


def test_palette_and_bilevel_images(tmp_path):
    palette = Image.new("P", (3, 2))
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette.putpixel((1, 0), 1)
    palette.save(tmp_path / "p.png")
    image = read_image(tmp_path / "p.png")
    assert image.shape == (2, 3, 3)
    np.testing.assert_allclose(image[0, 0], [1, 0, 0])
    np.testing.assert_allclose(image[0, 1], [0, 0, 1])
    bilevel = Image.new("1", (4, 2))
    bilevel.putpixel((2, 1), 1)
    bilevel.save(tmp_path / "b.png")
    image = read_image(tmp_path / "b.png")
    assert image.shape == (2, 4) and image.sum() == 1 and image[1, 2] == 1


def test_jpeg_save_and_read(tmp_path):
    image = np.full((16, 16, 3), 0.5)
    save_image(tmp_path / "x.jpg", image, quality=90)
    back = read_image(tmp_path / "x.jpg")
    assert back.shape == (16, 16, 3)
    np.testing.assert_allclose(back, 0.5, atol=2 / 255)


def test_single_channel_and_channels_first_layouts(tmp_path, rng):
    image = rng.integers(0, 256, (5, 6, 1)).astype(np.float32) / 255
    save_image(tmp_path / "a.png", image)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), image[..., 0])
    first = rng.integers(0, 256, (3, 5, 6)).astype(np.float32) / 255
    save_image(tmp_path / "b.png", first, channel_axis=0)
    np.testing.assert_array_equal(read_image(tmp_path / "b.png"), np.moveaxis(first, 0, -1))


def test_tolerates_rounding_noise_at_the_range_ends(tmp_path):
    image = np.array([[1 + 1e-7, -1e-7]], dtype=np.float64)
    save_image(tmp_path / "x.png", image)
    np.testing.assert_array_equal(read_image(tmp_path / "x.png"), [[1, 0]])


def test_overwrite_replaces_the_file(tmp_path):
    save_image(tmp_path / "x.png", np.zeros((4, 4)))
    save_image(tmp_path / "x.png", np.ones((4, 4)))
    np.testing.assert_array_equal(read_image(tmp_path / "x.png"), 1)
    assert _listing(tmp_path) == ["x.png"]


@pytest.mark.parametrize(
    "image, kwargs, match",
    [
        (np.full((4, 4), np.nan), {}, "finite"),
        (np.full((4, 4), np.inf), {}, "finite"),
        (np.full((4, 4), 1.2), {}, r"\[0, 1\].*np.clip.*max=1.2"),
        (np.full((4, 4), -0.01), {}, r"\[0, 1\].*min=-0.01"),
        (np.zeros((4, 4), dtype=np.uint8), {}, "img_as_float"),
        (np.zeros((4, 4, 4)), {}, "RGBA"),
        (np.zeros((4,)), {}, r"Received: image.shape=\(4,\)"),
        (np.zeros((0, 4)), {}, "empty"),
        (np.zeros((4, 4, 3)), {"bit_depth": 16}, "16-bit colour"),
        (np.zeros((4, 4)), {"bit_depth": 12}, "bit_depth must be one of"),
        (np.zeros((4, 4)), {"quality": 0}, "quality"),
    ],
)
def test_save_rejects_bad_input_and_writes_nothing(tmp_path, image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        save_image(tmp_path / "x.png", image, **kwargs)
    assert _listing(tmp_path) == []


@pytest.mark.parametrize(
    "name, error, match",
    [
        ("x.gif", ValueError, r"extension.*Received: '\.gif'"),
        ("noext", ValueError, "no extension"),
        ("missing/x.png", FileNotFoundError, "does not exist"),
    ],
)
def test_save_rejects_bad_paths(tmp_path, name, error, match):
    with pytest.raises(error, match=match):
        save_image(tmp_path / name, np.zeros((4, 4)))
    assert _listing(tmp_path) == []


def test_save_to_a_directory_fails(tmp_path):
    (tmp_path / "d.png").mkdir()
    with pytest.raises(IsADirectoryError, match="d.png"):
        save_image(tmp_path / "d.png", np.zeros((4, 4)))


def test_failed_encoding_leaves_no_file(tmp_path, monkeypatch):
    from kerasgen.restoration import _atomic

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(_atomic.os, "fsync", explode)
    with pytest.raises(OSError, match="disk full"):
        save_image(tmp_path / "x.png", np.zeros((4, 4)))
    assert _listing(tmp_path) == []


def test_read_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(IsADirectoryError, match=str(tmp_path.name)):
        read_image(tmp_path)
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ValueError, match="text.png.*not a recognised image"):
        read_image(tmp_path / "text.png")
    save_image(tmp_path / "ok.png", np.zeros((32, 32)))
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.png"):
        read_image(tmp_path / "cut.png")
    with pytest.raises(ValueError, match="alpha"):
        read_image(tmp_path / "ok.png", alpha="keep")


def _write_png16(path, pixels, color_type):
    """Minimal 16-bit PNG writer (Pillow cannot write 16-bit colour or grey + alpha)."""
    import struct
    import zlib

    height, width = pixels.shape[:2]
    raw = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_16bit_colour_png_is_read_at_8bit_precision_with_a_warning(tmp_path):
    pixels = (np.arange(2 * 3 * 3).reshape(2, 3, 3) * 3001).astype(np.uint16)
    _write_png16(tmp_path / "c.png", pixels, color_type=2)
    with pytest.warns(UserWarning, match="16-bit colour PNG.*8-bit precision"):
        image = read_image(tmp_path / "c.png")
    assert image.shape == (2, 3, 3)
    np.testing.assert_allclose(image, pixels / 65535, atol=1 / 255)


def test_16bit_min_is_white_tiff_is_inverted(tmp_path):
    import tifffile

    gray = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)
    tifffile.imwrite(tmp_path / "w16.tif", 65535 - gray, photometric="miniswhite")
    np.testing.assert_allclose(read_image(tmp_path / "w16.tif"), gray / 65535, rtol=1e-6)
    tifffile.imwrite(tmp_path / "w8.tif", (255 - gray // 257).astype(np.uint8), photometric="miniswhite")
    np.testing.assert_allclose(read_image(tmp_path / "w8.tif"), gray // 257 / 255, rtol=1e-6)


@pytest.mark.parametrize("channels", [1, 3])
def test_png_transparent_colour_key_is_composited_on_white(tmp_path, channels):
    pixels = np.array([[10, 20], [10, 30]], dtype=np.uint8)
    key = 10
    if channels == 3:
        pixels, key = np.dstack([pixels, pixels + 1, pixels + 2]), (10, 11, 12)
    Image.fromarray(pixels).save(tmp_path / "x.png", transparency=key)
    image = read_image(tmp_path / "x.png")
    assert image.shape == pixels.shape
    np.testing.assert_array_equal(image[0, 0], 1)
    np.testing.assert_array_equal(image[1, 0], 1)
    np.testing.assert_array_equal(image[0, 1], pixels[0, 1] / np.float32(255))
    np.testing.assert_array_equal(read_image(tmp_path / "x.png", alpha="drop"), pixels / np.float32(255))


def test_16bit_gray_png_transparent_colour_key(tmp_path):
    gray = np.array([[1000, 2000]], dtype=np.uint16)
    Image.fromarray(gray).save(tmp_path / "x.png", transparency=1000)
    np.testing.assert_allclose(read_image(tmp_path / "x.png"), [[1, 2000 / 65535]], rtol=1e-6)


def test_16bit_gray_alpha_png_gives_gray(tmp_path):
    pixels = np.array([[[0x8000, 0xFFFF], [0x8000, 0]]], dtype=np.uint16)  # grey opaque, grey transparent
    _write_png16(tmp_path / "x.png", pixels, color_type=4)
    with pytest.warns(UserWarning, match="16-bit grey \\+ alpha PNG.*8-bit precision"):
        image = read_image(tmp_path / "x.png")
    assert image.shape == (1, 2)
    np.testing.assert_allclose(image, [[0x80 / 255, 1]])


@pytest.mark.parametrize(
    "threshold, error, match",
    [
        (float("nan"), ValueError, "threshold must be a float in \\[0, 1\\). Received: threshold=nan"),
        (2, ValueError, "Received: threshold=2"),
        (1, ValueError, "Received: threshold=1"),
        (-0.5, ValueError, "Received: threshold=-0.5"),
        ("0.5", TypeError, "Received: threshold='0.5'"),
    ],
)
def test_read_mask_checks_the_threshold(tmp_path, threshold, error, match):
    from kerasgen.restoration import read_mask

    save_image(tmp_path / "m.png", np.eye(4))
    with pytest.raises(error, match=match):
        read_mask(tmp_path / "m.png", threshold=threshold)


def test_read_mask_accepts_an_image_shape(tmp_path):
    from kerasgen.restoration import read_mask

    save_image(tmp_path / "m.png", np.eye(4, 5))
    mask = read_mask(tmp_path / "m.png", (4, 5, 3))
    assert mask.shape == (4, 5) and mask.sum() == 4
    with pytest.raises(ValueError, match=r"image's size \(5, 4\). Received: \(4, 5\)"):
        read_mask(tmp_path / "m.png", (5, 4))
    with pytest.raises(ValueError, match=r"shape must be a tuple \(H, W\) or \(H, W, C\). Received: shape=\(4,\)"):
        read_mask(tmp_path / "m.png", (4,))


def test_save_long_file_name(tmp_path):
    name = "a" * 245 + ".png"  # legal (under 255 bytes), but not with 18 more for the temporary name
    assert save_image(tmp_path / name, np.zeros((4, 4))) == str(tmp_path / name)
    np.testing.assert_array_equal(read_image(tmp_path / name), 0)
    assert _listing(tmp_path) == [name]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_replacing_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "private.png"
    path.write_bytes(b"old")
    path.chmod(0o600)
    save_image(path, np.zeros((4, 4)))
    assert path.stat().st_mode & 0o777 == 0o600
    np.testing.assert_array_equal(read_image(path), 0)


def test_save_accepts_a_bytes_path(tmp_path):
    path = os.fsencode(tmp_path / "x.png")
    assert save_image(path, np.zeros((4, 4))) == str(tmp_path / "x.png")
    np.testing.assert_array_equal(read_image(path), 0)


def test_save_to_a_directory_without_extension_says_so(tmp_path):
    from kerasgen.restoration.io import check_save_path

    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError, match="'.*out': it is a directory"):
        check_save_path(tmp_path / "out")


def test_decompression_bomb_error_gives_kerasgens_limit(tmp_path):
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(tmp_path / "x.png")
    # over twice the limit: Pillow refuses by itself, naming twice the limit
    with pytest.raises(ValueError, match="600 pixels, more than the limit of 100 .*Received: max_pixels=100"):
        read_image(tmp_path / "x.png", max_pixels=100)


def test_reads_with_different_pixel_limits_in_threads_leave_pillows_limit_as_it_was(tmp_path, monkeypatch):
    import threading

    from PIL import Image

    path = tmp_path / "small.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)
    original_open, original_limit = Image.open, Image.MAX_IMAGE_PIXELS
    second_inside, first_done = threading.Event(), threading.Event()

    def open_(*args, **kwargs):
        # The interleaving that broke it: first sets its limit, second sets its own,
        # first restores, then second restores the first's limit.
        if threading.current_thread().name == "first":
            second_inside.wait(timeout=0.5)  # with the lock, second cannot be inside
        else:
            second_inside.set()
            first_done.wait(timeout=5)
        return original_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", open_)
    errors = []

    def read(max_pixels, done=None):
        try:
            read_image(path, max_pixels=max_pixels)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        if done is not None:
            done.set()

    first = threading.Thread(target=read, args=(10**6, first_done), name="first")
    second = threading.Thread(target=read, args=(2 * 10**6,), name="second")
    first.start()
    while first.is_alive() and Image.MAX_IMAGE_PIXELS == original_limit:
        pass  # until first has set its limit
    second.start()
    first.join()
    second.join()
    assert not errors
    assert Image.MAX_IMAGE_PIXELS == original_limit
