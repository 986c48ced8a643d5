"""Fashion-MNIST from Debian's dataset-fashion-mnist package (no download)."""
import gzip
from pathlib import Path

import numpy as np

DATASET_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(split: str):
    """Returns (images uint8 [N,28,28], labels uint8 [N]) for split 'train' or 'test'."""
    prefix = "train" if split == "train" else "t10k"
    images = _read_idx(DATASET_DIR / f"{prefix}-images-idx3-ubyte.gz")
    labels = _read_idx(DATASET_DIR / f"{prefix}-labels-idx1-ubyte.gz")
    return images, labels
