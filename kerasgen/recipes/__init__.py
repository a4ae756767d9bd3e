"""Training recipes: one call from data to checkpoints, resumable.

``train_gan`` / ``train_vae`` train a DCGAN / VAE (they mirror the tutorial's
``train_GANs`` / ``train_VAEs`` but call ``fit``); ``train_unet`` trains a U-Net
restorer (e.g. the shipped blind denoiser). ``read_history_csv``,
``save_loss_curves`` and ``save_run_loss_curves`` read and draw the history a
run folder holds.
"""

from kerasgen.recipes.gan import train_gan
from kerasgen.recipes.history import (
    read_history_csv,
    save_loss_curves,
    save_run_loss_curves,
)
from kerasgen.recipes.unet import train_unet
from kerasgen.recipes.vae import train_vae

__all__ = [
    "read_history_csv",
    "save_loss_curves",
    "save_run_loss_curves",
    "train_gan",
    "train_unet",
    "train_vae",
]
