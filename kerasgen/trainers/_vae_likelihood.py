"""``VAE.log_likelihood``: importance-weighted estimate of ``log p(x)`` (a mixin of the model)."""

from kerasgen import _backend  # noqa: F401  (backend guard)

# isort: split

import math

import numpy as np
from keras import ops

from kerasgen import losses
from kerasgen._checks import check_int, check_seed

# Decoder rows per call (images x samples): bounds the memory of one call.
_ROWS_PER_CALL = 4096
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class VAELikelihoodMixin:
    """``log_likelihood`` of :class:`kerasgen.VAE`."""

    def log_likelihood(self, images, num_samples=1000, *, seed=0, batch_size=None):
        """Estimates ``log p(x)`` of each image in nats (IWAE bound).

        With ``z_1..z_K`` drawn from the encoder's posterior ``q(z | x)``,

        ``log p(x) >= log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k | x)``

        (Burda et al., 2016): the importance-weighted bound. For ``K = 1``
        its expectation is the ELBO; it increases with ``K`` and tends to
        ``log p(x)``, so ``-mean(log_likelihood(x, 1000))`` is the negative
        log-likelihood papers report ("NLL, IWAE with 5000 samples").
        ``p(x | z)`` is the VAE's likelihood (for ``"bernoulli"`` on grey
        values in ``[0, 1]``, the usual continuous relaxation, as in the
        training loss), ``p(z) = N(0, I)``. The encoder runs in inference
        mode (``z_mean``, ``z_log_var``; its ``Sampling`` layer is not used)
        and the noise comes from ``numpy.random.default_rng(seed)``, so the
        estimate is reproducible.

        Args:
            images: Array of images, shape ``(n, ...)`` as the encoder
                expects: floats in the VAE's data range (``[0, 1]`` for
                ``likelihood="bernoulli"``).
            num_samples: Int >= 1, ``K``, posterior samples per image. The
                cost is ``K`` decoder passes per image.
            seed: Int, seed of the posterior samples.
            batch_size: Optional int, images per encoder call (default
                128). Each decoder call takes ``max(4096 // K, 1)`` images
                with all their samples.

        Returns:
            Numpy float64 array of shape ``(n,)``: the estimates in nats
            (``-result.mean()`` is the NLL in nats per image).

        Raises:
            TypeError: If ``num_samples``, ``seed`` or ``batch_size`` is not
                an int.
            ValueError: If ``images`` does not match the encoder's input
                shape, has an integer dtype (e.g. uint8), NaN or inf values
                or values outside the range ``fit`` accepts, or a number is
                out of range.

        Example:

        ```python
        nll = -vae.log_likelihood(test_images, num_samples=1000).mean()
        elbo = -vae.evaluate(test_images, return_dict=True)["loss"]
        ```
        """
        num_samples = check_int("num_samples", num_samples, minimum=1)
        seed = check_seed(seed)
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size, minimum=1)
        batch_size = batch_size or 128
        images = self._checked_images(images, "VAE.log_likelihood")
        z_mean, z_log_var = self.encode(images, batch_size=batch_size)
        rng = np.random.default_rng(seed)
        per_call = max(1, _ROWS_PER_CALL // num_samples)
        estimates = []
        for start in range(0, len(images), per_call):
            rows = slice(start, start + per_call)
            estimates.append(
                self._iwae_bound(images[rows], z_mean[rows], z_log_var[rows], num_samples, rng)
            )
        if not estimates:
            return np.zeros((0,), "float64")
        return np.concatenate(estimates)

    def _iwae_bound(self, images, z_mean, z_log_var, num_samples, rng):
        """The bound for a few images, all their samples in one decoder call."""
        count = len(images)
        latent_shape = z_mean.shape[1:]
        eps = rng.standard_normal((count, num_samples, *latent_shape)).astype("float32")
        std = np.exp(0.5 * z_log_var)[:, None]
        z = z_mean[:, None] + std * eps
        axes = tuple(range(2, z.ndim))
        log_q = np.sum(
            -0.5 * np.square(eps, dtype="float64") - 0.5 * z_log_var[:, None] - _HALF_LOG_2PI,
            axis=axes,
        )
        log_prior = np.sum(-0.5 * np.square(z, dtype="float64") - _HALF_LOG_2PI, axis=axes)
        flat_z = z.reshape((count * num_samples, *latent_shape))
        decoded = ops.cast(self.decoder(flat_z, training=False), "float32")
        targets = np.repeat(images, num_samples, axis=0)
        if self.likelihood == "bernoulli":
            nll = losses.bernoulli_nll(targets, decoded)
        else:
            nll = losses.gaussian_nll(targets, decoded, self.gaussian_std)
        log_likelihood = -np.asarray(ops.convert_to_numpy(nll), "float64")
        log_w = log_likelihood.reshape(count, num_samples) + log_prior - log_q
        peak = log_w.max(axis=1, keepdims=True)
        return peak[:, 0] + np.log(np.mean(np.exp(log_w - peak), axis=1))
