"""CSV tables: label column rules, shape inference, and one-line errors naming file, line and column."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from core.errors import DataError
from model.data.specs import load_raw


def test_seed_layout_with_label_column(write_csv, csv_text):
    path = write_csv(csv_text(n=20, side=2))
    raw = load_raw(f"csv:{path}")
    assert raw.name == f"csv:{path}"
    assert raw.x.shape == (20, 4) and raw.x.dtype == np.uint8
    assert raw.image_shape == (2, 2)
    assert raw.y.dtype == np.int64 and raw.y[:11].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
    assert raw.x[1].tolist() == [37, 48, 59, 70]
    assert not raw.has_official_test


def test_label_column_found_by_name_anywhere(write_csv, csv_text):
    raw = load_raw(f"csv:{write_csv(csv_text(n=10, side=2, label_first=False))}")
    assert raw.y.tolist() == list(range(10))
    assert raw.x[1].tolist() == [37, 48, 59, 70]


def test_first_column_is_the_label_without_a_label_header(write_csv):
    path = write_csv("digit,a,b,c,d\n7,1,2,3,4\n")
    raw = load_raw(f"csv:{path}")
    assert raw.y.tolist() == [7] and raw.x.tolist() == [[1, 2, 3, 4]]


def test_label_column_override(write_csv):
    path = write_csv("a,b,c,d,target\n1,2,3,4,9\n")
    raw = load_raw(f"csv:{path}", label_column="target")
    assert raw.y.tolist() == [9] and raw.x.tolist() == [[1, 2, 3, 4]]


def test_unknown_label_column_suggests_a_name(write_csv):
    path = write_csv("a,b,c,d,target\n1,2,3,4,9\n")
    with pytest.raises(DataError, match=r"table.csv: no column named 'targt' for the label \(did you mean 'target'\?\)"):
        load_raw(f"csv:{path}", label_column="targt")


def test_784_pixels_are_28x28_and_fractions_stay_float(write_csv):
    header = "label," + ",".join(str(i) for i in range(784))
    row = "3," + ",".join(["0.5"] * 784)
    raw = load_raw(f"csv:{write_csv(header + chr(10) + row + chr(10))}")
    assert raw.image_shape == (28, 28)
    assert raw.x.dtype == np.float64 and raw.x[0, 0] == 0.5


def test_gzipped_csv_and_blank_lines(tmp_path, csv_text):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(("\n" + csv_text(n=3, side=2).replace("\n", "\n\n")).encode()))
    assert load_raw(f"csv:{path}").y.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"table.csv: the file is empty"),
        ("label,a,b,c,d\n", r"table.csv: has a header but no data rows"),
        ("1,2,3,4,5\n6,7,8,9,0\n", r"table.csv: line 1 holds numbers, not column names: expected a header row"),
        ("label,a,b,c\n1,2,3,4\n", r"table.csv: 3 pixel columns besides the label: expected a perfect square"),
        ("label,a,b,c,d\n1,2,3,4,5\n2,3,x7,5,6\n", r"table.csv: line 3, column 3 \('b'\): expected a number, got 'x7'"),
        ("label,a,b,c,d\n1,2,3,4,5\n2,3,,5,6\n", r"table.csv: line 3, column 3 \('b'\): expected a number, got an empty cell"),
        ("label,a,b,c,d\n1,2,3,4,5\n\n2,3,4,5\n", r"table.csv: line 4: 4 columns, expected 5 as in the header"),
        ("label,a,b,c,d\n1,2,3,4,5\n\n10,3,4,5,6\n", r"table.csv: line 4, column 1 \('label'\): label 10 is not an integer in 0-9"),
        ("label,a,b,c,d\n-1,2,3,4,5\n", r"table.csv: line 2, column 1 \('label'\): label -1 is not an integer in 0-9"),
        ("label,a,b,c,d\n2.5,2,3,4,5\n", r"table.csv: line 2, column 1 \('label'\): label 2.5 is not an integer in 0-9"),
        ("label,a,b,c,d\n1,2,3,4,5\n2,3,4,5,256\n", r"table.csv: line 3, column 5 \('d'\): pixel value 256 is outside 0-255"),
        ("label,a,b,c,d\n1,2,-3,4,5\n", r"table.csv: line 2, column 3 \('b'\): pixel value -3 is outside 0-255"),
        ("label,a,b,c,d\n1,2,nan,4,5\n", r"table.csv: line 2, column 3 \('b'\): expected a finite number, got nan"),
    ],
)
def test_malformed_tables(write_csv, text, message):
    path = write_csv(text)
    with pytest.raises(DataError, match=message) as info:
        load_raw(f"csv:{path}")
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match=r"nope.csv: no such file"):
        load_raw(f"csv:{tmp_path / 'nope.csv'}")
    with pytest.raises(DataError, match=r"is a directory, expected a CSV file"):
        load_raw(f"csv:{tmp_path}")


def test_cut_gzip_csv_is_a_data_error(tmp_path, csv_text):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(csv_text(n=400, side=4).encode())[:-30])
    with pytest.raises(DataError, match=r"t.csv.gz: unreadable: Compressed file ended"):
        load_raw(f"csv:{path}")
