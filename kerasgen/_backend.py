"""Guard: the Keras parts of kerasgen need Keras' TensorFlow backend.

Every kerasgen module that uses Keras imports this module first.
"""

import keras

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "kerasgen needs Keras' TensorFlow backend. Received: "
        f"keras.backend.backend()={keras.backend.backend()!r}. Set the "
        "environment variable KERAS_BACKEND=tensorflow before Python starts "
        "(e.g. `export KERAS_BACKEND=tensorflow`), or set "
        '"backend": "tensorflow" in ~/.keras/keras.json.'
    )
