"""The MNIST sample shipped in this folder, so everything runs offline (see SAMPLE_LICENSE.md).

5,000 real MNIST training images, 500 a class, split 400 / 100 a class into 4,000 training
and 1,000 test images with a fixed seed; `python -m datasets.make_sample` rebuilds it.
"""

from pathlib import Path

import numpy as np

from datasets.arrays import read_npz

SAMPLE_PATH = Path(__file__).with_name("mnist_sample.npz")
TRAIN_PER_CLASS, TEST_PER_CLASS = 400, 100
SAMPLE_COUNTS = ((TRAIN_PER_CLASS,) * 10, (TEST_PER_CLASS,) * 10)


def load_sample() -> dict[str, np.ndarray]:
    """The shipped MNIST sample: 4,000 training and 1,000 test images, uint8, verified."""
    return read_npz(SAMPLE_PATH, "MNIST sample", SAMPLE_COUNTS)
