"""Plug-and-play image restoration with a learned denoiser as the prior.

Deblurring, super-resolution and inpainting by half-quadratic splitting
(DPIR, Zhang et al. 2021; IRCNN 2017): a closed-form data step for the linear
degradation alternates with the noise-level-aware denoiser of
`kerasgen.pretrained.load_denoiser` (or any ``keras.Model`` taking
``[images, noise_sigma]``, or a callable ``denoiser(image, sigma)``) at
decreasing noise levels.

Example:

>>> from kerasgen import plug_and_play as pnp  # doctest: +SKIP
>>> sharp = pnp.deblur(blurred, psf, sigma=0.01)  # doctest: +SKIP
>>> large = pnp.super_resolve(small, 4)  # doctest: +SKIP
>>> filled = pnp.inpaint(holes, mask)  # doctest: +SKIP
"""

from kerasgen.plug_and_play._hqs import noise_schedule
from kerasgen.plug_and_play.solvers import deblur, inpaint, super_resolve

__all__ = ["deblur", "inpaint", "noise_schedule", "super_resolve"]
