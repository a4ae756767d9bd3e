"""Replicas of two keras.io examples, the baselines of ``train_throughput.py --vs-recipe``.

Written from the examples' descriptions (Keras 3, TensorFlow backend), with
their networks, losses, optimizers and input pipelines:

* **DCGAN overriding ``train_step``** ("Customizing what happens in
  ``fit()``", the GAN part): discriminator ``Conv2D(64, 3, stride 2) ->
  LeakyReLU(0.2) -> Conv2D(128, 3, stride 2) -> LeakyReLU(0.2) ->
  GlobalMaxPooling2D -> Dense(1)``; generator ``Dense(7 * 7 * 128) ->
  LeakyReLU -> Reshape -> Conv2DTranspose(128, 4, stride 2) -> LeakyReLU ->
  Conv2DTranspose(128, 4, stride 2) -> LeakyReLU -> Conv2D(1, 7, sigmoid)``,
  latent 128; each step trains the discriminator on generated + real
  images concatenated (labels 1 for fake, 0 for real, plus 0.05 uniform
  label noise), then the generator on fresh noise with "misleading" labels;
  ``BinaryCrossentropy(from_logits=True)``, ``Adam(3e-4)`` for both; images
  in [0, 1] from ``Dataset.from_tensor_slices(x).shuffle(1024).batch(64)``.
* **Variational AutoEncoder** (the convolutional VAE example): encoder
  ``Conv2D(32, 3, stride 2, relu) -> Conv2D(64, 3, stride 2, relu) ->
  Flatten -> Dense(16, relu) -> z_mean, z_log_var = Dense(2)`` and a
  sampling layer; decoder ``Dense(7 * 7 * 64, relu) -> Reshape ->
  Conv2DTranspose(64, 3, stride 2, relu) -> Conv2DTranspose(32, 3, stride 2,
  relu) -> Conv2DTranspose(1, 3, sigmoid)``; loss = binary cross-entropy
  summed over pixels + KL, averaged over the batch; ``Adam()``;
  ``fit(numpy_images, batch_size=128)``.

The same network builders are used inside ``kerasgen.GAN`` / ``kerasgen.VAE``
for the side-by-side comparison.
"""

import keras
import tensorflow as tf
from keras import layers, ops

GAN_LATENT_DIM = 128
VAE_LATENT_DIM = 2


def recipe_discriminator():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )


def recipe_generator():
    return keras.Sequential(
        [
            keras.Input(shape=(GAN_LATENT_DIM,)),
            layers.Dense(7 * 7 * 128),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )


class RecipeGAN(keras.Model):
    """The keras.io GAN: ``train_step`` overridden, one D and one G update."""

    def __init__(self, discriminator, generator, latent_dim=GAN_LATENT_DIM):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(1337)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        generated_images = self.generator(random_latent_vectors)
        combined_images = tf.concat([generated_images, real_images], axis=0)
        labels = tf.concat(
            [tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0
        )
        labels += 0.05 * keras.random.uniform(tf.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        misleading_labels = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def recipe_gan():
    """The compiled keras.io GAN."""
    gan = RecipeGAN(recipe_discriminator(), recipe_generator())
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return gan


def recipe_gan_dataset(images, batch_size=64):
    """The keras.io GAN's pipeline (images in [0, 1])."""
    return tf.data.Dataset.from_tensor_slices(images).shuffle(buffer_size=1024).batch(batch_size)


class RecipeSampling(layers.Layer):
    """The keras.io VAE's sampling layer: ``z = z_mean + exp(z_log_var / 2) * eps``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        # dtype=: the only change, so that the layer also runs under a mixed
        # policy (for kerasgen's precision="auto" rows; float32 is unchanged).
        epsilon = keras.random.normal(shape=(batch, dim), dtype=z_mean.dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def recipe_encoder(latent_dim=VAE_LATENT_DIM):
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = RecipeSampling()([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")


def recipe_decoder(latent_dim=VAE_LATENT_DIM):
    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(latent_inputs, outputs, name="decoder")


class RecipeVAE(keras.Model):
    """The keras.io VAE: ``train_step`` overridden, loss = BCE summed over pixels + KL."""

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {
            "loss": self.total_loss_tracker.result(),
            "reconstruction_loss": self.reconstruction_loss_tracker.result(),
            "kl_loss": self.kl_loss_tracker.result(),
        }


def recipe_vae():
    """The compiled keras.io VAE."""
    vae = RecipeVAE(recipe_encoder(), recipe_decoder())
    vae.compile(optimizer=keras.optimizers.Adam())
    return vae


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].replace("``", ""),
        epilog="A module of networks, not a benchmark: run benchmarks/train_throughput.py --vs-recipe "
        "or benchmarks/layer_costs.py.",
    ).parse_args()
    print("keras_io_recipes.py is a module of networks, not a benchmark: run "
          "benchmarks/train_throughput.py --vs-recipe or benchmarks/layer_costs.py.")  # fmt: skip
