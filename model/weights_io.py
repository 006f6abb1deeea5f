"""Weights to and from `.npz` bytes (the store's blob format). Never pickles: object arrays are refused both ways."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

import numpy as np

from core.errors import DataError

ZIP_MAGIC = b"PK\x03\x04"  # every .npz is a zip archive; np.load would try to unpickle anything else


def weights_to_npz_bytes(weights: Mapping[str, np.ndarray]) -> bytes:
    """An uncompressed `.npz` archive holding each array under its key. Raises ValueError for object arrays."""
    arrays = {name: np.asarray(value) for name, value in weights.items()}
    for name, array in arrays.items():
        if array.dtype.hasobject:
            raise ValueError(f"weights[{name!r}] has dtype {array.dtype}: only numeric arrays can be stored")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def weights_from_npz_bytes(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of a `.npz` blob, keyed as saved. Raises DataError when the blob is not a pickle-free `.npz`."""
    if not data.startswith(ZIP_MAGIC):
        raise DataError(f"weights blob ({len(data)} bytes) is not a .npz archive: it does not start with a zip header")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"weights blob ({len(data)} bytes) is not a valid .npz archive: {exc}") from None
