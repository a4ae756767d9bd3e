"""Reliability of the library side: callbacks, pretrained, batch, pipelines, distribution.

Each test pins a fix: a bad argument that was silently used (or refused per
file, or with a bare Python error) is now refused at once with a message that
names it.
"""

import json

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="module")
def sigma_model():
    import keras

    from kerasgen.models import build_unet

    keras.utils.set_random_seed(0)
    return build_unet(depth=1, base_filters=4, noise_level_input=True)


@pytest.fixture
def folder(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((12, 12)) * 255).astype(np.uint8)).save(source / "a.png")
    return source


# ------------------------------------------------------------ batch (unet)


@pytest.mark.parametrize(
    "sigma, error, match",
    [
        (25, ValueError, r"sigma must be <= 1.*25 / 255.*Received: sigma=25"),  # grey levels, not image units
        (-0.1, ValueError, "Received: sigma=-0.1"),
        (float("nan"), ValueError, "Received: sigma=nan"),
        ("0.1", TypeError, "Received: sigma='0.1'"),
        (True, TypeError, "Received: sigma=True"),
    ],
)
def test_learned_restorer_checks_sigma_as_restore_does(sigma_model, sigma, error, match):
    from kerasgen.batch._learned import LearnedRestorer

    # The batched path used the value as given: sigma=25 over-smoothed silently.
    with pytest.raises(error, match=match):
        LearnedRestorer(sigma_model, sigma=sigma)


def test_learned_restorer_checks_images_and_options_as_restore_does(sigma_model):
    from kerasgen.batch._learned import LearnedRestorer

    image = np.random.default_rng(0).random((8, 8)).astype(np.float32)
    restorer = LearnedRestorer(sigma_model, sigma=0.1)
    with pytest.raises(ValueError, match="far outside the expected range"):
        restorer.restore_batch([image * 255])  # was restored (to white) silently
    with pytest.raises(ValueError, match="NaN or inf"):
        restorer.restore_batch([np.full((8, 8), np.nan, np.float32)])
    with pytest.raises(ValueError, match="float array"):
        restorer.restore_batch([(image * 255).astype(np.uint8)])
    with pytest.raises(ValueError, match="RGBA"):
        LearnedRestorer(sigma=0.1).restore_batch([np.zeros((8, 8, 4), np.float32)])
    with pytest.raises(TypeError, match="images must be a list"):
        restorer.restore_batch(image)  # an array is not a list of images
    with pytest.raises(ValueError, match="Received: overlap=-5"):
        LearnedRestorer(sigma_model, overlap=-5)
    assert restorer.restore_batch([image])[0].shape == (8, 8)


# ----------------------------------------------------------- restore_folder


def test_restore_folder_checks_sigma_once_not_per_file(folder, tmp_path):
    from kerasgen.batch import restore_folder

    # Was: every file reported as failed (or, for "unet", sigma=25 used as is).
    with pytest.raises(ValueError, match="Received: sigma=25"):
        restore_folder(folder, tmp_path / "out", "tv", sigma=25, workers=1, progress=False)
    with pytest.raises(ValueError, match="Received: sigma=25"):
        restore_folder(folder, tmp_path / "out", "unet", sigma=25, progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"quality": 500}, ValueError, r"quality must be an int in \[1, 100\]. Received: quality=500"),
        ({"quality": True}, TypeError, "Received: quality=True"),
        ({"overwrite": "False"}, TypeError, "overwrite must be a bool. Received: overwrite='False'"),
        ({"recursive": "no"}, TypeError, "recursive must be a bool"),
        ({"progress": "no"}, TypeError, "progress must be a bool"),
        ({"overlap": 8}, ValueError, "overlap= and self_ensemble= are for method='unet'"),
    ],
)
def test_restore_folder_checks_run_arguments(folder, tmp_path, kwargs, error, match):
    from kerasgen.batch import restore_folder

    options = {"sigma": 0.1, "workers": 1, "progress": False, **kwargs}
    with pytest.raises(error, match=match):
        restore_folder(folder, tmp_path / "out", "tv", **options)
    assert not (tmp_path / "out").exists()


def test_plan_folder_recursive_must_be_a_bool(folder, tmp_path):
    from kerasgen.batch import plan_folder

    with pytest.raises(TypeError, match="recursive must be a bool"):
        plan_folder(folder, tmp_path / "out", recursive="yes")


# -------------------------------------------------------------------- ray


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "Received: batch_size=0"),
        ({"concurrency": 0}, "Received: concurrency=0"),  # was silently 1
        ({"num_cpus": -1}, "Received: num_cpus=-1"),
        ({"quality": 0}, "Received: quality=0"),
        ({"sigma": 25}, "Received: sigma=25"),
    ],
)
def test_restore_folder_ray_checks_arguments_before_starting_ray(tmp_path, kwargs, match):
    from kerasgen.pipelines.ray import restore_folder_ray

    (tmp_path / "in").mkdir()  # nothing to do: Ray is never started
    with pytest.raises(ValueError, match=match):
        restore_folder_ray(tmp_path / "in", tmp_path / "out", "unet", progress=False, **kwargs)


# -------------------------------------------------------------- callbacks


def test_make_grid_refuses_images_without_pixels():
    from kerasgen.callbacks import make_grid

    # Was: an empty (0, 4, 3) "grid" returned.
    with pytest.raises(ValueError, match=r"Received: shape=\(1, 0, 4, 3\)"):
        make_grid(np.zeros((1, 0, 4, 3)))
    with pytest.raises(ValueError, match=r"Received: shape=\(2, 4, 0, 1\)"):
        make_grid(np.zeros((2, 4, 0)))


def test_sample_grid_argument_errors_name_the_argument(tmp_path):
    from kerasgen.callbacks import SampleGrid

    with pytest.raises(ValueError, match=r"Received: filename='\{epoch\[0\]\}.png'"):
        SampleGrid(tmp_path, filename="{epoch[0]}.png")  # was: 'int' object is not subscriptable
    with pytest.raises(ValueError, match="Received: filename="):
        SampleGrid(tmp_path, filename="{epoch.missing}.png")
    with pytest.raises(TypeError, match="Received: tensorboard_log_dir=5"):
        SampleGrid(tmp_path, tensorboard_log_dir=5)
    with pytest.raises(ValueError, match=r"without folders.*Received: filename='\.\./x_\{epoch\}\.png'"):
        SampleGrid(tmp_path / "samples", filename="../x_{epoch}.png")  # would write beside out_dir


# ------------------------------------------------------------- pretrained


def test_load_denoiser_and_load_pretrained_check_their_types():
    from kerasgen.pretrained import load_denoiser, load_pretrained

    with pytest.raises(TypeError, match=r"channels must be one of \[1, 3\]. Received: channels=\[1\]"):
        load_denoiser([1])  # was: unhashable type: 'list'
    with pytest.raises(TypeError, match="Received: channels=3.0"):
        load_denoiser(3.0)
    with pytest.raises(TypeError, match="compile must be a bool. Received: compile='no'"):
        load_pretrained("vae_mnist_2d", compile="no")


# ----------------------------------------------------------- distribution


def test_check_tf_config_refuses_non_text_and_malformed_clusters():
    from kerasgen.distribution import check_tf_config

    with pytest.raises(TypeError, match="Received: value of type dict"):
        check_tf_config({"cluster": {}})  # was: AttributeError 'strip'
    index_true = json.dumps({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": True}})
    with pytest.raises(ValueError, match="this process's task"):
        check_tf_config(index_true)
    hosts_text = json.dumps({"cluster": {"worker": "a:1"}, "task": {"type": "worker", "index": 2}})
    with pytest.raises(ValueError, match="cluster's workers"):
        check_tf_config(hosts_text)  # a str, not a list: "index" 2 was accepted
    good = json.dumps({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}})
    assert check_tf_config(good)["task"]["index"] == 1


# ---------------------------------------------------------- learned_repair


def test_repair_unet_takes_channel_axis_as_the_classical_methods_do():
    from kerasgen.learned_repair import repair_unet
    from kerasgen.models import build_unet

    model = build_unet(image_shape=(None, None, 3), depth=1, base_filters=4)
    image = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
    last = repair_unet(image, model=model)
    first = repair_unet(np.moveaxis(image, -1, 0), model=model, channel_axis=0)
    assert first.shape == (3, 16, 16)
    np.testing.assert_array_equal(np.moveaxis(first, 0, -1), last)
    with pytest.raises(ValueError, match="Received: channel_axis=5"):
        repair_unet(image, model=model, channel_axis=5)


def test_restore_channel_axis_none_means_channels_last_as_in_restoration():
    from kerasgen.inference import restore
    from kerasgen.models import build_unet

    model = build_unet(image_shape=(None, None, 3), depth=1, base_filters=4)
    image = np.random.default_rng(1).random((16, 16, 3)).astype(np.float32)
    np.testing.assert_array_equal(restore(image, model, channel_axis=None), restore(image, model, channel_axis=-1))
