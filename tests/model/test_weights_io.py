"""Weights blobs round-trip exactly and never involve pickle."""

from __future__ import annotations

import io

import numpy as np
import pytest

from core.errors import DataError
from model.weights_io import weights_from_npz_bytes, weights_to_npz_bytes


def test_round_trip_keeps_names_shapes_dtypes_and_bits() -> None:
    weights = {
        "W1": np.random.default_rng(0).normal(size=(3, 2)).astype(np.float32),
        "b1": np.array([np.nan, np.inf]),
        "rng": np.array([2**64 - 1, 0], dtype=np.uint64),
        "loop.config_hash": np.array("ab" * 32),
    }
    back = weights_from_npz_bytes(weights_to_npz_bytes(weights))
    assert back.keys() == weights.keys()
    for name, array in weights.items():
        assert back[name].dtype == array.dtype
        np.testing.assert_array_equal(back[name], array)


def test_object_arrays_are_refused_on_save() -> None:
    with pytest.raises(ValueError, match=r"weights\['bad'\] has dtype object"):
        weights_to_npz_bytes({"W1": np.zeros(2), "bad": np.array([{"x": 1}], dtype=object)})


def test_a_pickled_object_array_is_refused_on_load() -> None:
    buffer = io.BytesIO()
    np.savez(buffer, evil=np.array([print], dtype=object))  # numpy pickles object arrays into the archive
    with pytest.raises(DataError, match="Object arrays cannot be loaded"):
        weights_from_npz_bytes(buffer.getvalue())


@pytest.mark.parametrize("blob", [b"", b"not an archive", weights_to_npz_bytes({"W1": np.zeros(3)})[:40]])
def test_corrupt_blobs_raise_a_one_line_data_error(blob: bytes) -> None:
    with pytest.raises(DataError, match=rf"weights blob \({len(blob)} bytes\)") as caught:
        weights_from_npz_bytes(blob)
    assert "\n" not in str(caught.value)
