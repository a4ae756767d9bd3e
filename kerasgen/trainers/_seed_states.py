"""States of the sub-models' random generators, saved with a trainer (private).

Keras does not save the state of a ``keras.random.SeedGenerator`` (Dropout
layers, ``kerasgen.layers.Sampling``); without it a reloaded GAN or VAE does
not continue a run exactly. The trainers write them into their own variable
store with `save_seed_states` and read them back with `load_seed_states`.
"""

_SEED_STATE_PREFIX = "layer_seed_state_"


def seed_generators(*models):
    """Every ``SeedGenerator`` of the layers of ``models``, in a fixed order."""
    found, seen = [], set()
    for model in models:
        for layer in model._flatten_layers(include_self=True):
            for generator in getattr(layer, "_seed_generators", ()):
                if id(generator) not in seen:
                    seen.add(id(generator))
                    found.append(generator)
    return found


def save_seed_states(store, generators):
    """Writes the states of ``generators`` into a Keras variable ``store``."""
    for index, generator in enumerate(generators):
        store[f"{_SEED_STATE_PREFIX}{index}"] = generator.state


def load_seed_states(store, keys, generators):
    """Restores states written by `save_seed_states` (absent keys are skipped).

    Returns:
        The keys of ``store`` that are not seed states.
    """
    for index, generator in enumerate(generators):
        key = f"{_SEED_STATE_PREFIX}{index}"
        if key in keys:
            value = store[key]
            if tuple(value.shape) == tuple(generator.state.shape):
                generator.state.assign(value)
    return [k for k in keys if not k.startswith(_SEED_STATE_PREFIX)]
