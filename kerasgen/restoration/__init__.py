"""Classical image restoration on numpy, scikit-image and the ``bm3d`` package.

Images are float arrays in [0, 1] of shape (H, W) (gray) or (H, W, 3) (RGB);
(H, W, 1) is accepted and given back as such. Noise levels (``sigma``) are in
image units: 25 grey levels is ``25 / 255``. This package never imports
TensorFlow (the learned "unet" method of ``repair_image`` imports it on use).

Example:

>>> from skimage import data, img_as_float
>>> from kerasgen.restoration import add_gaussian_noise, denoise, psnr
>>> clean = img_as_float(data.camera())[:128, :128]
>>> noisy = add_gaussian_noise(clean, 25 / 255, seed=0)
>>> restored = denoise(noisy, "nl_means", sigma=25 / 255)
>>> psnr(clean, restored) > psnr(clean, noisy)
True
"""

from kerasgen.restoration._bm3d_compat import bm3d_available
from kerasgen.restoration.comparison import (
    ComparisonRow,
    compare,
    default_methods,
    format_table,
    save_figure,
    save_table,
)
from kerasgen.restoration.deblurring import DEBLUR_METHODS, deblur
from kerasgen.restoration.degradations import (
    add_gaussian_noise,
    add_poisson_noise,
    add_salt_and_pepper,
    blur,
    downsample,
    gaussian_psf,
    jpeg_compress,
    random_mask,
    upsample,
)
from kerasgen.restoration.denoising import DENOISE_METHODS, denoise
from kerasgen.restoration.inpainting import INPAINT_METHODS, inpaint
from kerasgen.restoration.io import read_image, read_mask, save_image
from kerasgen.restoration.metrics import psnr, ssim
from kerasgen.restoration.noise_level import NOISE_ESTIMATORS, estimate_noise_sigma
from kerasgen.restoration.repair import REPAIR_METHODS, repair_image
from kerasgen.restoration.samples import SAMPLE_IMAGES, load_sample

__all__ = [
    "DEBLUR_METHODS",
    "DENOISE_METHODS",
    "INPAINT_METHODS",
    "NOISE_ESTIMATORS",
    "REPAIR_METHODS",
    "SAMPLE_IMAGES",
    "ComparisonRow",
    "add_gaussian_noise",
    "add_poisson_noise",
    "add_salt_and_pepper",
    "blur",
    "bm3d_available",
    "compare",
    "deblur",
    "default_methods",
    "denoise",
    "downsample",
    "estimate_noise_sigma",
    "format_table",
    "gaussian_psf",
    "inpaint",
    "jpeg_compress",
    "load_sample",
    "psnr",
    "random_mask",
    "read_image",
    "read_mask",
    "repair_image",
    "save_figure",
    "save_image",
    "save_table",
    "ssim",
    "upsample",
]
