"""The Ray Data pipeline (kerasgen[ray]) gives the outputs of the folder command.

Runs a private local Ray instance (2 CPUs) on a small folder: a classical
method (must be bitwise equal to ``restore_folder``) and the U-Net from an
exported SavedModel (equal to ``restore_folder`` with the ``.keras`` model to
within one grey level: the same model, but the SavedModel graph and Keras'
``predict_on_batch`` may round float32 differently).
"""

import numpy as np
import pytest
from PIL import Image

ray = pytest.importorskip("ray", reason="the Ray extra is not installed: pip install '.[ray]'")
pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install '.[ray]'")

pytestmark = pytest.mark.slow  # a local Ray instance, ~45 s

from kerasgen.batch import plan_folder, restore_folder  # noqa: E402
from kerasgen.pipelines.ray import restore_folder_ray  # noqa: E402
from kerasgen.restoration import read_image  # noqa: E402


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    root = tmp_path_factory.mktemp("collection")
    source = root / "in"
    (source / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray((rng.random((40, 48)) * 255).astype(np.uint8)).save(source / f"g{i}.png")
        Image.fromarray((rng.random((40, 48)) * 65535).astype(np.uint16)).save(source / "sub" / f"g16_{i}.png")
    Image.fromarray((rng.random((32, 32, 3)) * 255).astype(np.uint8)).save(source / "sub" / "c.png")
    (source / "broken.png").write_bytes(b"not an image")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield root
    ray.shutdown()


def _outputs(source, target):
    return {
        task.relative: read_image(task.target)
        for task in plan_folder(source, target, recursive=True)
        if task.relative != "broken.png"
    }


def test_classical_pipeline_equals_folder_command(collection):
    source = collection / "in"
    local = restore_folder(source, collection / "local_tv", "tv", recursive=True, sigma=0.1, progress=False)
    piped = restore_folder_ray(source, collection / "ray_tv", "tv", recursive=True, sigma=0.1, progress=False)
    assert (piped.done, piped.skipped, piped.failed) == (local.done, 0, 1) == (7, 0, 1)
    assert piped.failures[0][0] == "broken.png"
    expected, got = _outputs(source, collection / "local_tv"), _outputs(source, collection / "ray_tv")
    assert expected.keys() == got.keys()
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    # Resumable like the folder command: a second run skips everything.
    again = restore_folder_ray(source, collection / "ray_tv", "tv", recursive=True, sigma=0.1, progress=False)
    assert (again.done, again.skipped, again.failed) == (0, 7, 1)


def test_unet_pipeline_from_saved_model_equals_folder_command(collection):
    import keras

    from kerasgen.export import export_for_serving
    from kerasgen.models import build_unet

    source = collection / "in"
    keras.utils.set_random_seed(0)
    model = build_unet(image_shape=(None, None, 1), depth=2, base_filters=4, noise_level_input=True)
    keras_file = collection / "tiny.keras"
    model.save(keras_file)
    export_for_serving(model, collection / "serving", name="tiny", version=1)
    saved_model = collection / "serving" / "tiny" / "1"

    local = restore_folder(
        source,
        collection / "local_unet",
        "unet",
        recursive=True,
        model=keras_file,
        sigma=0.1,
        batch_size=2,
        progress=False,
    )
    piped = restore_folder_ray(
        source,
        collection / "ray_unet",
        "unet",
        recursive=True,
        model=saved_model,
        sigma=0.1,
        batch_size=2,
        progress=False,
    )
    assert (piped.done, piped.failed) == (local.done, local.failed) == (7, 1)
    expected, got = _outputs(source, collection / "local_unet"), _outputs(source, collection / "ray_unet")
    for name in expected:
        levels = 65535 if name.startswith("sub/g16") else 255
        assert np.abs(got[name] - expected[name]).max() * levels <= 1.0, name
