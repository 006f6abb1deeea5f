"""IDX files (the MNIST distribution format), gzipped or plain, and folders of them.

An IDX file is a 4-byte magic number `00 00 TT DD` (TT = element type, 0x08 for unsigned bytes; DD = number
of dimensions), DD big-endian uint32 sizes, then the elements in C order. Images are idx3 (n, rows, cols),
labels idx1 (n,). Only unsigned-byte files are accepted: that is what MNIST and Fashion-MNIST use.
"""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from pathlib import Path

import numpy as np

from core.errors import DataError
from model.data.labels import first_bad_label
from model.data.raw import RawDataset

UBYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"
# train-images-idx3-ubyte, t10k-labels-idx1-ubyte.gz, and the common variant train-images.idx3-ubyte
FILE_NAME = re.compile(r"^(?P<split>train|t10k)-(?P<kind>images|labels)[-.]idx(?P<ndim>[13])-ubyte(?P<gz>\.gz)?$")


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """The uint8 array stored in `path` (gzip detected from its content), which must have `ndim` dimensions.

    Raises DataError naming the file for a bad magic number, a short header, a truncated payload or
    trailing bytes.
    """
    data = _read_bytes(path)
    want = (UBYTE << 8) | ndim
    if len(data) < 4:
        raise DataError(f"{path}: {len(data)} bytes is too short for an IDX header (4-byte magic number)")
    magic = int.from_bytes(data[:4], "big")
    if magic != want:
        raise DataError(
            f"{path}: bad IDX magic number 0x{magic:08x}: expected 0x{want:08x} "
            f"(unsigned bytes, {ndim} dimension{'s' if ndim > 1 else ''})"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header: {len(data)} bytes, expected {header}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    payload = len(data) - header
    shape = "x".join(str(d) for d in dims)
    if payload < expected:
        raise DataError(f"{path}: truncated: the header promises {shape} = {expected} bytes, the file has {payload}")
    if payload > expected:
        raise DataError(f"{path}: {payload - expected} unexpected bytes after the {shape} array the header declares")
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(dims)


def load_idx_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """One split: (x (n, rows*cols) uint8, y (n,) int64, (rows, cols)). Counts and labels are checked."""
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1)
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{images_path}: {images.shape[0]} images but {labels_path} has {labels.shape[0]} labels "
            "(a truncated or mismatched pair)"
        )
    bad = first_bad_label(labels)
    if bad is not None:
        raise DataError(f"{labels_path}: item {bad + 1}: label {labels[bad]} is outside 0-9")
    n, rows, cols = images.shape
    return images.reshape(n, rows * cols), labels.astype(np.int64), (rows, cols)


def load_idx_files(
    name: str, train: tuple[Path, Path], test: tuple[Path, Path] | None = None
) -> RawDataset:
    """A dataset from (images, labels) path pairs; `test` is the official test split, if any."""
    x, y, shape = load_idx_pair(*train)
    if test is None:
        return RawDataset(name=name, x=x, y=y, image_shape=shape)
    test_x, test_y, test_shape = load_idx_pair(*test)
    if test_shape != shape:
        raise DataError(f"{test[0]}: images are {test_shape[0]}x{test_shape[1]}, but {train[0]} has {shape[0]}x{shape[1]}")
    return RawDataset(name=name, x=x, y=y, image_shape=shape, test_x=test_x, test_y=test_y)


def load_idx_dir(directory: Path, name: str | None = None) -> RawDataset:
    """A folder of IDX files. Both splits -> train pool + official test; one split -> a single table."""
    name = name or f"idx:{directory}"
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        raise DataError(f"{name}: {directory} {what} (expected a folder of IDX files)")
    found = _find_files(directory)
    pairs: dict[str, tuple[Path, Path]] = {}
    for split in ("train", "t10k"):
        images, labels = found.get((split, "images")), found.get((split, "labels"))
        if images is None and labels is None:
            continue
        if images is None or labels is None:
            have, missing_name = (
                (images, f"{split}-labels-idx1-ubyte[.gz]")
                if labels is None
                else (labels, f"{split}-images-idx3-ubyte[.gz]")
            )
            raise DataError(f"{name}: {have} has no matching {missing_name} in {directory}")
        pairs[split] = (images, labels)
    if not pairs:
        raise DataError(
            f"{name}: no IDX files in {directory} (expected train-images-idx3-ubyte[.gz] and "
            "train-labels-idx1-ubyte[.gz], and/or the t10k-* pair)"
        )
    if len(pairs) == 1:
        (only,) = pairs.values()
        return load_idx_files(name, only)
    return load_idx_files(name, pairs["train"], pairs["t10k"])


def _find_files(directory: Path) -> dict[tuple[str, str], Path]:
    """(split, kind) -> path, e.g. ("t10k", "labels"). When a file exists plain and gzipped, the plain one wins."""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(directory.iterdir()):
        match = FILE_NAME.match(path.name)
        if not match or not path.is_file() or match["ndim"] != ("3" if match["kind"] == "images" else "1"):
            continue
        key = (match["split"], match["kind"])
        if key not in found or not match["gz"]:
            found[key] = path
    return found


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except EOFError:
        raise DataError(f"{path}: truncated gzip stream (the download or copy was cut short)") from None
    except (OSError, zlib.error) as exc:
        raise DataError(f"{path}: corrupt gzip data: {exc}") from None
