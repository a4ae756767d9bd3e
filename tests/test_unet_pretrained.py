"""Tests of kerasgen.pretrained (loading logic with temporary files)."""

import json
import re

import numpy as np
import pytest

from kerasgen import pretrained
from kerasgen.models import build_unet


@pytest.fixture
def search_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(
        pretrained, "_search_dirs", lambda: [tmp_path / "missing", tmp_path]
    )
    return tmp_path


def test_unknown_name_lists_the_available_names(search_dir):
    expected = re.escape(f"Expected one of {sorted(pretrained.PRETRAINED_MODELS)}")
    with pytest.raises(ValueError, match=expected):
        pretrained.load_pretrained("unet_denoise_rgb")


def test_known_name_without_file_raises(search_dir):
    with pytest.raises(
        FileNotFoundError, match="'unet_denoise_gray' is known but its file"
    ):
        pretrained.load_pretrained("unet_denoise_gray")


def test_load_pretrained_loads_the_file(search_dir):
    model = build_unet(
        depth=2, base_filters=4, pixel_unshuffle=2, noise_level_input=True
    )
    model.save(search_dir / "unet_denoise_gray.keras")
    model.save(search_dir / "my_restorer.keras")
    assert pretrained.list_pretrained() == sorted(
        [*pretrained.PRETRAINED_MODELS, "my_restorer"]
    )
    loaded = pretrained.load_pretrained("unet_denoise_gray")
    inputs = [np.random.default_rng(0).random((1, 16, 16, 1)), np.array([[0.1]])]
    np.testing.assert_array_equal(
        loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0)
    )


def test_default_search_dirs_include_the_package_data():
    dirs = [str(d) for d in pretrained._search_dirs()]
    assert any(d.endswith("saved_models") for d in dirs)
    assert "unet_denoise_gray" in pretrained.list_pretrained()


def test_shipped_files_match_their_registered_sha256():
    presets = pretrained.PRESETS
    assert {"unet_denoise_gray", "dcgan_mnist", "vae_mnist"} <= set(presets)
    for name, preset in presets.items():
        if "sha256" not in preset:
            continue
        path = next(d / preset["file"] for d in pretrained._search_dirs() if (d / preset["file"]).is_file())
        assert pretrained.file_sha256(path) == preset["sha256"], name
        assert path.stat().st_size == preset["bytes"]


def test_a_corrupt_shipped_file_is_refused(tmp_path, monkeypatch):
    import json

    model = build_unet(depth=1, base_filters=2)
    model.save(tmp_path / "unet_denoise_gray.keras")
    (tmp_path / "presets.json").write_text(
        json.dumps({"unet_denoise_gray": {"description": "x", "file": "unet_denoise_gray.keras", "sha256": "0" * 64}})
    )
    monkeypatch.setattr(pretrained, "_search_dirs", lambda: [tmp_path])
    with pytest.raises(OSError, match=r"is corrupt or was modified: expected SHA-256 0{64}. Received: SHA-256 [0-9a-f]{64}"):
        pretrained.load_pretrained("unet_denoise_gray")
    # The right digest loads.
    digest = pretrained.file_sha256(tmp_path / "unet_denoise_gray.keras")
    (tmp_path / "presets.json").write_text(
        json.dumps({"unet_denoise_gray": {"description": "x", "file": "unet_denoise_gray.keras", "sha256": digest}})
    )
    assert pretrained.load_pretrained("unet_denoise_gray").count_params() == model.count_params()


def test_shipped_files_are_inference_only():
    import zipfile

    for name, preset in pretrained.PRESETS.items():
        path = next((d / preset["file"] for d in pretrained._search_dirs() if (d / preset["file"]).is_file()), None)
        if path is None:
            continue
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
        assert not config.get("compile_config"), name


@pytest.mark.parametrize("table", ["{not json", "[1, 2]", '{"unet_denoise_gray": "x"}'])
def test_a_corrupt_presets_table_is_refused_not_skipped(tmp_path, monkeypatch, table):
    build_unet(depth=1, base_filters=2).save(tmp_path / "unet_denoise_gray.keras")
    (tmp_path / "presets.json").write_text(table)
    monkeypatch.setattr(pretrained, "_search_dirs", lambda: [tmp_path])
    # Without the table there is no SHA-256 to check: refuse, do not load unchecked.
    with pytest.raises(OSError, match=r"presets table .*presets\.json' of the shipped models is corrupt"):
        pretrained.load_pretrained("unet_denoise_gray")
    (tmp_path / "presets.json").unlink()  # no table at all: a user's own folder, loads
    assert pretrained.load_pretrained("unet_denoise_gray").count_params() > 0
