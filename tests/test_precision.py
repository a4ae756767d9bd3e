"""precision="auto" and friends: policy choice, float32 copies, recipe files."""

import keras
import numpy as np
import pytest

from kerasgen import precision as P
from kerasgen.models import build_unet
from kerasgen.recipes import train_unet


def test_resolve_explicit_names_and_reject_others():
    for name in ("float32", "mixed_bfloat16", "mixed_float16"):
        assert P.resolve_precision(name) == name
    with pytest.raises(ValueError, match=r"precision must be one of .* Received: precision='bf16'"):
        P.resolve_precision("bf16")


@pytest.mark.parametrize("has_bf16, expected", [(True, "mixed_bfloat16"), (False, "float32")])
def test_auto_follows_the_cpu_flags(monkeypatch, has_bf16, expected):
    monkeypatch.setattr(P, "_gpu_visible", lambda: False)
    monkeypatch.setattr(P, "cpu_supports_bfloat16", lambda: has_bf16)
    assert P.resolve_precision("auto") == expected


def test_auto_prefers_float16_on_a_gpu(monkeypatch):
    monkeypatch.setattr(P, "_gpu_visible", lambda: True)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert P.resolve_precision("auto") == "mixed_float16"


def test_cpu_flag_detection_reads_cpuinfo(monkeypatch, tmp_path):
    P.cpu_supports_bfloat16.cache_clear()
    try:
        expected = False
        try:
            with open("/proc/cpuinfo") as f:
                text = f.read()
            expected = " avx512_bf16" in text or " amx_bf16" in text
        except OSError:
            pass
        assert P.cpu_supports_bfloat16() == expected
    finally:
        P.cpu_supports_bfloat16.cache_clear()


def test_scope_sets_and_restores_the_global_policy():
    before = keras.config.dtype_policy().name
    with P.precision_scope("mixed_bfloat16") as name:
        assert name == "mixed_bfloat16"
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == before
    with pytest.raises(RuntimeError):
        with P.precision_scope("mixed_float16"):
            raise RuntimeError("boom")
    assert keras.config.dtype_policy().name == before


def test_to_float32_copies_weights_exactly_and_computes_in_float32():
    with P.precision_scope("mixed_bfloat16"):
        model = build_unet(depth=2, base_filters=4, noise_level_input=True)
    assert model.get_layer("encoder0_conv0").compute_dtype == "bfloat16"
    copy = P.to_float32(model)
    assert all(l.dtype_policy.name == "float32" for l in copy.layers if l.weights)
    for a, b in zip(model.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = [np.random.default_rng(0).random((1, 16, 16, 1)).astype("float32"), np.full((1, 1), 0.1, "float32")]
    exact = copy.predict(x, verbose=0)
    assert exact.dtype == np.float32
    # bfloat16 has an 8-bit mantissa: same function, coarser arithmetic.
    np.testing.assert_allclose(model.predict(x, verbose=0), exact, atol=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16", "mixed_float16"])
def test_train_unet_under_each_policy_saves_float32_inference_files(tmp_path, precision):
    images = np.random.default_rng(0).random((4, 32, 32)).astype("float32")
    model, history = train_unet(
        images,
        tmp_path,
        epochs=1,
        steps_per_epoch=2,
        patch_size=16,
        batch_size=2,
        model_kwargs=dict(depth=2, base_filters=4, noise_level_input=True),
        precision=precision,
        seed=0,
        verbose=0,
    )
    trained_layer = model.get_layer("encoder0_conv0")
    assert trained_layer.dtype_policy.name == precision
    assert np.isfinite(history.history["loss"]).all()
    saved = keras.saving.load_model(tmp_path / "last.keras", compile=False)
    assert all(l.dtype_policy.name == "float32" for l in saved.layers if l.weights)
    assert getattr(saved, "optimizer", None) is None
    for a, b in zip(model.get_weights(), saved.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = [images[:1, :, :, None], np.full((1, 1), 0.1, "float32")]
    out = saved.predict(x, verbose=0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, P.to_float32(model).predict(x, verbose=0), atol=1e-6)


def test_explicit_precision_that_contradicts_a_given_model_is_refused(tmp_path):
    model = build_unet(depth=1, base_filters=2)
    with pytest.raises(ValueError, match="built with dtype policy 'float32' but precision='mixed_bfloat16'"):
        train_unet(
            np.zeros((2, 16, 16), "float32"),
            tmp_path,
            model=model,
            precision="mixed_bfloat16",
            epochs=1,
            steps_per_epoch=1,
            patch_size=16,
            verbose=0,
        )


def test_inference_copy_computes_the_inside_in_bfloat16_and_the_ends_in_float32():
    model = build_unet(depth=2, base_filters=4, noise_level_input=True)
    fast = P.inference_copy(model, "mixed_bfloat16")
    weighted = [layer.name for layer in model.layers if layer.weights]
    policies = {layer.name: layer.dtype_policy.name for layer in fast.layers}
    assert policies[weighted[0]] == policies[weighted[-1]] == "float32"
    assert {policies[name] for name in weighted[1:-1]} == {"mixed_bfloat16"}
    assert policies["residual"] == "float32"  # after the last weighted layer
    for a, b in zip(model.get_weights(), fast.get_weights()):
        np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(0)
    x = [rng.random((1, 16, 16, 1)).astype("float32"), np.full((1, 1), 0.1, "float32")]
    exact, approx = model.predict(x, verbose=0), fast.predict(x, verbose=0)
    assert approx.dtype == np.float32
    assert not np.array_equal(exact, approx)  # really 16-bit arithmetic inside
    np.testing.assert_allclose(approx, exact, atol=0.02)


def test_inference_copy_returns_the_model_itself_when_there_is_nothing_to_copy():
    model = build_unet(depth=1, base_filters=2)
    assert P.inference_copy(model, "float32") is model

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    subclassed = Subclassed()
    subclassed(np.ones((1, 2), "float32"))
    assert P.inference_copy(subclassed, "mixed_bfloat16") is subclassed


def test_inference_copy_errors():
    with pytest.raises(TypeError, match="keras.Model"):
        P.inference_copy(lambda x: x)
    with pytest.raises(ValueError, match="precision must be one of"):
        P.inference_copy(build_unet(depth=1, base_filters=2), "bfloat16")


def test_inference_copy_converts_nested_models_but_not_their_inputs():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(8)], name="inner")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inner(keras.layers.Dense(4)(inputs))))
    fast = P.inference_copy(model, "mixed_bfloat16")
    assert [layer.compute_dtype for layer in fast.get_layer("inner").layers] == ["bfloat16", "bfloat16"]
    x = np.random.default_rng(0).random((2, 4)).astype("float32")
    np.testing.assert_allclose(fast.predict(x, verbose=0), model.predict(x, verbose=0), atol=0.05)


def test_inference_model_traces_its_weight_sync_once_with_the_copy():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(8)(keras.layers.Dense(8)(inputs))))
    first = P.inference_model(model, "mixed_bfloat16")
    _, sync = P._INFERENCE_COPIES[model]["mixed_bfloat16"]
    assert sync.experimental_get_tracing_count() == 1  # at creation, not on the second call
    model.layers[2].kernel.assign(np.ones((8, 8), "float32"))
    second = P.inference_model(model, "mixed_bfloat16")
    assert second is first and sync.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(second.layers[2].kernel.numpy(), np.ones((8, 8), "float32"))
