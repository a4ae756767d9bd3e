"""Tests of U-Net training: loss decreases, train_unet checkpoints and resumes."""

import importlib.util
import os
import shutil

import keras
import numpy as np
import pytest

from kerasgen.models import build_unet
from kerasgen.recipes import train_unet


def _clean(n=4, size=32, seed=0):
    # Smooth images (low-pass random fields) so that denoising is learnable.
    rng = np.random.default_rng(seed)
    coarse = rng.random((n, size // 8, size // 8))
    return np.kron(coarse, np.ones((8, 8))).astype("float32")


def test_few_steps_reduce_the_loss():
    keras.utils.set_random_seed(0)
    model = build_unet(depth=2, base_filters=8)
    clean = _clean()[..., None]
    noisy = clean + 0.1 * np.random.default_rng(1).standard_normal(clean.shape).astype(
        "float32"
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", jit_compile=False)
    before = model.evaluate(noisy, clean, verbose=0)
    weights_before = [w.copy() for w in model.get_weights()]
    model.fit(noisy, clean, epochs=15, batch_size=4, verbose=0)
    assert model.evaluate(noisy, clean, verbose=0) < 0.7 * before
    assert any(
        not np.array_equal(a, b) for a, b in zip(weights_before, model.get_weights())
    )


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise RuntimeError("interrupted")


class _RecordStart(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = [w.copy() for w in self.model.get_weights()]


@pytest.mark.filterwarnings("ignore:The tensorboard package is not installed")
def test_train_unet_checkpoints_and_resumes(tmp_path):
    out_dir = tmp_path / "run"
    kwargs = {
        "epochs": 3,
        "steps_per_epoch": 2,
        "patch_size": 16,
        "batch_size": 2,
        "model_kwargs": {"depth": 2, "base_filters": 4},
        "validation_data": _clean(2, 24, seed=5),
        "jit_compile": False,
        "verbose": 0,
        "seed": 0,
    }
    with pytest.raises(RuntimeError, match="interrupted"):
        train_unet(_clean(), out_dir, callbacks=[_Interrupt()], **kwargs)
    assert os.listdir(out_dir / "backup")
    after_two_epochs = keras.saving.load_model(out_dir / "last.keras").get_weights()
    shutil.copytree(out_dir, tmp_path / "damaged")

    record = _RecordStart()
    model, history = train_unet(_clean(), out_dir, callbacks=[record], **kwargs)
    assert history.epoch == [2]
    assert set(history.history) >= {"loss", "psnr", "val_loss", "val_psnr"}
    for restored, saved in zip(record.weights, after_two_epochs):
        np.testing.assert_array_equal(restored, saved)
    assert not (out_dir / "backup").exists()
    with open(out_dir / "history.csv") as f:
        rows = f.read().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["0", "1", "2"]
    if importlib.util.find_spec("tensorboard") is not None:
        assert os.listdir(out_dir / "logs")
    best = keras.saving.load_model(out_dir / "best.keras", compile=False)
    assert best.output_shape == (None, None, None, 1)
    last = keras.saving.load_model(out_dir / "last.keras", compile=False)
    for a, b in zip(last.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not [name for name in os.listdir(out_dir) if "partial" in name]

    # The resumed run trained on the pairs the uninterrupted run sees in its
    # third epoch (not on the first epoch's again): it ends with its weights.
    reference, _ = train_unet(_clean(), tmp_path / "uninterrupted", **kwargs)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)

    # A damaged latest backup: Keras restores the previous one (epoch 1), and
    # the data, started at epoch 2, no longer matches: said, not silent.
    (tmp_path / "damaged" / "backup" / "latest.weights.h5").write_bytes(b"damaged")
    with pytest.warns(UserWarning, match="resumes at epoch 1 .* started at epoch 2"):
        _, history = train_unet(_clean(), tmp_path / "damaged", **kwargs)
    assert history.epoch == [1, 2]


@pytest.mark.filterwarnings("ignore:The tensorboard package is not installed")
def test_train_unet_feeds_noise_level_models(tmp_path):
    model = build_unet(depth=1, base_filters=4, noise_level_input=True)
    _, history = train_unet(
        _clean(),
        tmp_path,
        model=model,
        epochs=1,
        steps_per_epoch=1,
        patch_size=8,
        batch_size=2,
        jit_compile=False,
        verbose=0,
    )
    assert len(history.history["loss"]) == 1


@pytest.mark.filterwarnings("ignore:The tensorboard package is not installed")
def test_train_unet_psnr_loss_trains_and_reloads(tmp_path):
    model = build_unet(depth=1, base_filters=4, noise_level_input=True)
    before = [w.copy() for w in model.get_weights()]
    _, history = train_unet(
        _clean(),
        tmp_path,
        model=model,
        loss="psnr",
        epochs=1,
        steps_per_epoch=2,
        patch_size=8,
        batch_size=2,
        jit_compile=False,
        verbose=0,
    )
    # The loss is minus the batch's mean PSNR.
    assert history.history["loss"][0] == pytest.approx(-history.history["psnr"][0], abs=0.05)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    last = keras.saving.load_model(tmp_path / "last.keras", compile=False)
    for a, b in zip(last.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"patch_size": 20, "model_kwargs": {"depth": 3}},
            "multiple of the model's size multiple 8",
        ),
        ({"loss": "huber"}, "loss must be one of"),
        ({"epochs": 0}, "epochs must be a positive int"),
        ({"learning_rate": -1.0}, "learning_rate must be a float > 0"),
    ],
)
def test_train_unet_invalid_arguments_raise(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_unet(_clean(), tmp_path, **{"patch_size": 16, **kwargs})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sigma_range": (0, 55)}, r"sigma_range must be .*<= 1.*divide by 255.*Received: sigma_range=\(0, 55\)"),
        ({"sigma_range": (0.5, 0.1)}, r"sigma_range must be a pair \(low, high\)"),
        ({"validation_data": _clean(), "validation_sigma": 25}, r"validation_sigma must be <= 1.*divide by 255"),
    ],
)
def test_train_unet_refuses_noise_levels_in_8_bit_units(tmp_path, kwargs, match):
    small = dict(epochs=1, steps_per_epoch=1, patch_size=16, batch_size=2, verbose=0,
                 model_kwargs=dict(depth=1, base_filters=2), precision="float32")  # fmt: skip
    with pytest.raises(ValueError, match=match):
        train_unet(_clean(), tmp_path, **small, **kwargs)


def test_train_unet_checks_the_model_against_the_data(tmp_path):
    rgb = build_unet((None, None, 3), depth=1, base_filters=2)
    with pytest.raises(ValueError, match="takes 3-channel images but channels=1"):
        train_unet(_clean(), tmp_path, model=rgb, patch_size=16)
    fixed = build_unet((32, 32, 1), depth=1, base_filters=2)
    with pytest.raises(
        ValueError, match=r"fixed input size.*\(32, 32\), patch_size=16"
    ):
        train_unet(_clean(), tmp_path, model=fixed, patch_size=16)
    with pytest.raises(ValueError, match="either model or model_kwargs"):
        train_unet(_clean(), tmp_path, model=fixed, model_kwargs={"depth": 2})


@pytest.mark.filterwarnings("ignore:The tensorboard package is not installed")
def test_train_unet_validates_runs_of_every_seed_on_the_same_pairs(tmp_path):
    # The seed chooses the training stream (patches and noise), not the
    # validation pairs: fine-tuning runs with new seeds stay comparable. With
    # a learning rate too small to move the weights, two seeds give the same
    # validation PSNR (it differed by the noise realisation before) but
    # different training losses.
    keras.utils.set_random_seed(0)
    source = build_unet(depth=1, base_filters=4)
    histories = []
    for seed in (0, 1):
        model = keras.models.clone_model(source)
        model.set_weights(source.get_weights())
        _, history = train_unet(
            _clean(), tmp_path / f"seed{seed}", model=model, epochs=1, steps_per_epoch=2, patch_size=16,
            batch_size=2, learning_rate=1e-12, validation_data=_clean(2, 24, seed=5), seed=seed,
            precision="float32", jit_compile=False, verbose=0,
        )  # fmt: skip
        histories.append(history.history)
    assert histories[0]["val_psnr"][0] == pytest.approx(histories[1]["val_psnr"][0], abs=1e-4)
    assert histories[0]["loss"][0] != pytest.approx(histories[1]["loss"][0], abs=1e-4)
