"""kerasgen.distribution on one machine: TF_CONFIG checks and the no-op paths."""

import json

import pytest

from kerasgen import distribution


def _config(**overrides):
    config = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 1}}
    config.update(overrides)
    return json.dumps(config)


def test_tf_config_checked():
    assert distribution.check_tf_config("") == {}
    assert distribution.check_tf_config(_config())["task"]["index"] == 1
    with pytest.raises(ValueError, match="must be JSON"):
        distribution.check_tf_config("{worker: a}")
    with pytest.raises(ValueError, match="cluster's workers"):
        distribution.check_tf_config(json.dumps({"task": {"type": "worker", "index": 0}}))
    with pytest.raises(ValueError, match="this process's task"):
        distribution.check_tf_config(_config(task={"type": "worker", "index": 2}))
    with pytest.raises(ValueError, match="this process's task"):
        distribution.check_tf_config(_config(task={"type": "ps", "index": 0}))


def test_strategy_names():
    import tensorflow as tf

    assert distribution.get_strategy() is tf.distribute.get_strategy()
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    assert distribution.get_strategy(strategy) is strategy
    with pytest.raises(ValueError, match="strategy must be one of"):
        distribution.get_strategy("tpu")
    with pytest.raises(TypeError, match="strategy must be None"):
        distribution.get_strategy(2)


def test_one_machine_is_chief_and_changes_nothing(tmp_path):
    import keras
    import tensorflow as tf

    assert distribution.is_chief() and distribution.num_workers() == 1
    dataset = tf.data.Dataset.range(4).batch(2)
    assert distribution.shard_by_data(dataset) is dataset
    model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization()])
    assert distribution.synchronize_batch_norm(model) == 0
    assert not model.layers[0].synchronized
    with distribution.run_folder(str(tmp_path)) as folder:
        assert folder == str(tmp_path)
    assert tmp_path.is_dir()  # the chief's folder is never removed
