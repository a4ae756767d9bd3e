"""Tests of kerasgen.pretrained (loading logic with temporary files)."""

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
