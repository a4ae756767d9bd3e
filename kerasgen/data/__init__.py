"""Datasets: image pipelines for GAN / VAE training and restoration pairs.

``load_dataset`` gives batched ``tf.data`` pipelines of MNIST, Fashion-MNIST,
CIFAR-10 (local files offline, else TensorFlow Datasets) or a folder of
images. ``read_idx`` reads the IDX files of MNIST without TensorFlow.
"""

from kerasgen.data.datasets import DATASET_NAMES, load_dataset
from kerasgen.data.idx import read_idx
from kerasgen.data.restoration_pairs import (
    load_clean_images,
    make_restoration_dataset,
)
from kerasgen.data.splits import parse_split

__all__ = [
    "DATASET_NAMES",
    "load_clean_images",
    "load_dataset",
    "make_restoration_dataset",
    "parse_split",
    "read_idx",
]
