"""CSV tables in the seed's layout: a header row, one label column, then one column per pixel.

The label column is the one named by `label_column`, else the column called `label`, else the first one.
Every other column is a pixel (values 0..255, any header names, e.g. the seed's `1x1` .. `28x28`); their
count must be a perfect square (784 -> 28x28, 64 -> 8x8). A `.gz` suffix means gzip. Blank lines are
skipped. Error messages name the file line (from 1, as an editor shows it) and the column (from 1, leftmost).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from core.errors import DataError
from core.text import did_you_mean
from model.data.labels import first_bad_label
from model.data.raw import RawDataset

PIXEL_MAX = 255


def load_csv(path: Path, label_column: str | None = None, name: str | None = None) -> RawDataset:
    """Parse and validate the table at `path`. Raises DataError naming the file, line and column."""
    name = name or f"csv:{path}"
    header_line, header = _read_header(path)
    label_at = _label_index(path, header, label_column)
    n_pixels = len(header) - 1
    side = math.isqrt(n_pixels)
    if n_pixels < 1 or side * side != n_pixels:
        raise DataError(
            f"{path}: {n_pixels} pixel columns besides the label: expected a perfect square "
            "(784 for 28x28 images, 64 for 8x8)"
        )
    table = _parse_numbers(path, header_line, len(header))
    _check_values(path, header, table, label_at)
    labels = table[:, label_at].astype(np.int64)
    pixels = np.delete(table, label_at, axis=1)
    if np.array_equal(pixels, np.round(pixels)):
        pixels = pixels.astype(np.uint8)
    return RawDataset(name=name, x=pixels, y=labels, image_shape=(side, side))


def _open_text(path: Path) -> io.TextIOBase:
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rt", encoding="utf-8", newline="")
        return open(path, encoding="utf-8", newline="")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, expected a CSV file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every non-blank row, header included."""
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        try:
            for cells in reader:
                if cells and any(c.strip() for c in cells):
                    yield reader.line_num, [c.strip() for c in cells]
        except (csv.Error, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
            raise DataError(f"{path}: line {reader.line_num + 1}: unreadable: {exc}") from None


def _read_header(path: Path) -> tuple[int, list[str]]:
    """(line number, column names) of the first non-blank line."""
    first = next(_rows(path), None)
    if first is None:
        raise DataError(f"{path}: the file is empty (expected a header row, then one row per image)")
    line, header = first
    if all(_is_number(cell) for cell in header):
        raise DataError(
            f"{path}: line {line} holds numbers, not column names: expected a header row "
            "(e.g. label,1x1,1x2,...) before the data"
        )
    return line, header


def _label_index(path: Path, header: list[str], label_column: str | None) -> int:
    if label_column is not None:
        if label_column not in header:
            raise DataError(
                f"{path}: no column named {label_column!r} for the label{did_you_mean(label_column, header)}"
            )
        return header.index(label_column)
    lowered = [h.lower() for h in header]
    return lowered.index("label") if "label" in lowered else 0


def _parse_numbers(path: Path, header_line: int, n_columns: int) -> np.ndarray:
    """(n_rows, n_columns) float64 via NumPy's fast reader; on failure, re-scan to name the bad cell."""
    try:
        with warnings.catch_warnings(), _open_text(path) as handle:
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": reported below
            table = np.loadtxt(
                handle, delimiter=",", skiprows=header_line, dtype=np.float64, ndmin=2, comments=None, quotechar='"'
            )
    except ValueError as exc:  # includes UnicodeDecodeError, which the scan reports with its line
        _raise_first_bad_cell(path, n_columns)
        raise DataError(f"{path}: cannot parse: {exc}") from None  # the scan found nothing: keep NumPy's words
    except (OSError, EOFError) as exc:  # a corrupt or cut gzip stream
        raise DataError(f"{path}: unreadable: {exc}") from None
    if table.shape[0] == 0:
        raise DataError(f"{path}: has a header but no data rows")
    return table


def _raise_first_bad_cell(path: Path, n_columns: int) -> None:
    """Scan row by row (slow, only after a failure) and raise for the first wrong row length or cell."""
    rows = _rows(path)
    _, header = next(rows)
    for line, cells in rows:
        if len(cells) != n_columns:
            raise DataError(f"{path}: line {line}: {len(cells)} columns, expected {n_columns} as in the header")
        for col, cell in enumerate(cells):
            if not _is_number(cell):
                shown = repr(cell) if cell else "an empty cell"
                raise DataError(f"{path}: line {line}, column {col + 1} ({header[col]!r}): expected a number, got {shown}")


def _check_values(path: Path, header: list[str], table: np.ndarray, label_at: int) -> None:
    """Finite numbers, labels integers 0..9, pixels within 0..255; else name the first bad cell."""
    finite = np.isfinite(table)
    bad_label = first_bad_label(table[:, label_at])
    bad_pixel = (table < 0) | (table > PIXEL_MAX)
    bad_pixel[:, label_at] = False
    if finite.all() and bad_label is None and not bad_pixel.any():
        return
    lines = _data_line_numbers(path)  # only on failure: map the bad array row back to its file line

    def where(row: int, col: int) -> str:
        return f"{path}: line {lines[row]}, column {col + 1} ({header[col]!r})"

    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise DataError(f"{where(row, col)}: expected a finite number, got {table[row, col]}")
    if bad_label is not None:
        raise DataError(f"{where(bad_label, label_at)}: label {table[bad_label, label_at]:g} is not an integer in 0-9")
    row, col = np.argwhere(bad_pixel)[0]
    raise DataError(f"{where(row, col)}: pixel value {table[row, col]:g} is outside 0-{PIXEL_MAX}")


def _data_line_numbers(path: Path) -> list[int]:
    """The file line of each data row (blank lines are skipped, so row i is not always line i + 2)."""
    rows = _rows(path)
    next(rows)
    return [line for line, _ in rows]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
