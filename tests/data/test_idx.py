"""IDX loading: gzipped and plain files, single-split folders, and every malformed case."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from core.errors import DataError
from model.data.idx import load_idx_dir, read_idx
from model.data.specs import load_raw


@pytest.mark.parametrize("gz", [False, True])
def test_folder_with_both_splits_gives_train_pool_and_official_test(idx_dir, gz):
    folder = idx_dir(("train", "t10k"), gz=gz, n=30)
    raw = load_raw(f"idx:{folder}")
    assert raw.name == f"idx:{folder}"
    assert raw.x.shape == (30, 16) and raw.x.dtype == np.uint8
    assert raw.y.dtype == np.int64 and list(raw.y[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert raw.image_shape == (4, 4)
    assert raw.has_official_test and raw.test_x.shape == (30, 16)


def test_pixels_keep_row_major_order(tmp_path, write_idx):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([3, 7], dtype=np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", images, gz=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    raw = load_idx_dir(tmp_path)
    assert raw.image_shape == (3, 4)
    assert raw.x[1].tolist() == list(range(12, 24))
    assert raw.y.tolist() == [3, 7]


def test_only_test_files_make_a_single_table(idx_dir):
    raw = load_raw(f"idx:{idx_dir(('t10k',), n=20)}")
    assert len(raw.y) == 20 and not raw.has_official_test


def test_plain_file_wins_over_gz_twin(tmp_path, write_idx):
    images, labels = np.zeros((2, 2, 2)), np.array([1, 2])
    write_idx(tmp_path / "train-images-idx3-ubyte", images + 5)
    write_idx(tmp_path / "train-images-idx3-ubyte", images + 9, gz=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    assert load_idx_dir(tmp_path).x.max() == 5


def test_bad_magic_number_names_the_file(tmp_path, write_idx):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 2, 2)), magic=0x00000999)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2]))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: bad IDX magic number 0x00000999: expected 0x00000803"):
        load_idx_dir(tmp_path)


def test_labels_file_with_image_magic_is_rejected(tmp_path, write_idx):
    path = write_idx(tmp_path / "labels", np.zeros((2, 2, 2)))
    with pytest.raises(DataError, match="expected 0x00000801"):
        read_idx(path, 1)


def test_short_payload_is_truncated(tmp_path, idx_bytes):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((5, 4, 4)))[:-10])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: truncated: the header promises 5x4x4 = 80 bytes, the file has 70"):
        read_idx(path, 3)


def test_short_header_is_truncated(tmp_path, idx_bytes):
    path = tmp_path / "x"
    path.write_bytes(idx_bytes(np.zeros((5, 4, 4)))[:9])
    with pytest.raises(DataError, match="truncated IDX header: 9 bytes, expected 16"):
        read_idx(path, 3)


def test_trailing_bytes_are_rejected(tmp_path, idx_bytes):
    path = tmp_path / "x"
    path.write_bytes(idx_bytes(np.zeros(3)) + b"\x00\x00")
    with pytest.raises(DataError, match="2 unexpected bytes after the 3 array"):
        read_idx(path, 1)


def test_cut_gzip_stream_is_reported_as_truncated(tmp_path, idx_bytes):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(500) % 10))[:-20])
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: truncated gzip stream"):
        read_idx(path, 1)


def test_image_and_label_counts_must_match(tmp_path, write_idx):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 2, 2)))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2]))
    with pytest.raises(DataError, match="3 images but .*train-labels-idx1-ubyte has 2 labels"):
        load_idx_dir(tmp_path)


def test_label_outside_0_9_names_the_item(tmp_path, write_idx):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((3, 2, 2)))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 12, 2]))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte: item 2: label 12 is outside 0-9"):
        load_idx_dir(tmp_path)


def test_images_without_labels(tmp_path, write_idx):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 2, 2)), gz=True)
    with pytest.raises(DataError, match=r"has no matching train-labels-idx1-ubyte\[.gz\]"):
        load_idx_dir(tmp_path)


def test_train_and_test_image_sizes_must_agree(tmp_path, write_idx):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 2, 2)))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2]))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((2, 3, 3)))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 2]))
    with pytest.raises(DataError, match="images are 3x3, but .* has 2x2"):
        load_idx_dir(tmp_path)


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(DataError, match=r"idx:.*nowhere does not exist \(expected a folder of IDX files\)"):
        load_raw(f"idx:{tmp_path / 'nowhere'}")
    with pytest.raises(DataError, match="no IDX files in"):
        load_raw(f"idx:{tmp_path}")
