"""Fixtures for the data tests: an isolated data cache and writers for small IDX and CSV files."""

from __future__ import annotations

import functools
import gzip
import http.server
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every data test gets its own empty MNISTQ_DATA_DIR: nothing touches ~/.cache or the network."""
    root = tmp_path / "data-cache"
    monkeypatch.setenv("MNISTQ_DATA_DIR", str(root))
    for var in ("MNISTQ_MNIST_URL", "MNISTQ_FASHION_MNIST_URL"):
        monkeypatch.delenv(var, raising=False)
    return root


@pytest.fixture(autouse=True)
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The download backoff pauses (seconds), recorded instead of slept: retries cost the tests no time."""
    from model.data import download

    recorded: list[float] = []
    monkeypatch.setattr(download, "_pause", recorded.append)
    return recorded


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """The IDX encoding of a uint8 array (magic 0x0000080D for D dimensions unless overridden)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x08 << 8) | array.ndim if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def digit_images(n: int, rows: int = 4, cols: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n random uint8 images (n, rows, cols) and labels cycling 0..9, so every class is present."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, rows, cols), dtype=np.uint8), np.arange(n, dtype=np.uint8) % 10


@pytest.fixture
def write_idx() -> Callable[..., Path]:
    """write_idx(path, array, gz=False, magic=None) -> path. A `.gz` is added to the name when gz=True."""

    def write(path: Path, array: np.ndarray, gz: bool = False, magic: int | None = None) -> Path:
        data = idx_bytes(array, magic)
        if gz:
            path = path.with_name(path.name + ".gz")
            data = gzip.compress(data)
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def idx_dir(tmp_path: Path, write_idx: Callable[..., Path]) -> Callable[..., Path]:
    """idx_dir(splits=("train", "t10k"), gz=False, n=30) -> a folder with those IDX pairs of 4x4 images."""

    def make(splits: tuple[str, ...] = ("train", "t10k"), gz: bool = False, n: int = 30) -> Path:
        folder = tmp_path / f"idx-{'-'.join(splits)}-{'gz' if gz else 'plain'}"
        folder.mkdir()
        for offset, split in enumerate(splits):
            images, labels = digit_images(n, seed=offset)
            write_idx(folder / f"{split}-images-idx3-ubyte", images, gz=gz)
            write_idx(folder / f"{split}-labels-idx1-ubyte", labels, gz=gz)
        return folder

    return make


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """write_csv(text, name="table.csv") -> path: the exact text, so tests control every cell."""

    def write(text: str, name: str = "table.csv") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture(name="csv_text")
def csv_text_fixture() -> Callable[..., str]:
    """csv_text(n=20, side=2, label_first=True, header=None) -> the text of a valid table (see make_csv_text)."""
    return make_csv_text


@pytest.fixture(name="idx_bytes")
def idx_bytes_fixture() -> Callable[..., bytes]:
    """idx_bytes(array, magic=None) -> bytes of an IDX file."""
    return idx_bytes


def make_csv_text(n: int = 20, side: int = 2, label_first: bool = True, header: str | None = None) -> str:
    """A valid table: n rows, labels cycling 0..9, side*side pixel columns named like the seed (1x1 ...)."""
    names = [f"{r}x{c}" for r in range(1, side + 1) for c in range(1, side + 1)]
    head = header or ",".join(["label", *names] if label_first else [*names, "label"])
    rows = []
    for i in range(n):
        pixels = [str((i * 37 + j * 11) % 256) for j in range(side * side)]
        rows.append(",".join([str(i % 10), *pixels] if label_first else [*pixels, str(i % 10)]))
    return "\n".join([head, *rows]) + "\n"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; names in `truncate` are sent with their full Content-Length but only half the body;
    a name in `unavailable` gets that many HTTP 503 answers before it is served."""

    truncate: frozenset[str] = frozenset()
    unavailable: dict[str, int]  # set per test: the counts go down as the 503s are sent

    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        if self.unavailable.get(name, 0) > 0:
            self.unavailable[name] -= 1
            self.send_error(503, "Service Unavailable")
            return
        if name not in self.truncate:
            super().do_GET()
            return
        body = (Path(self.directory) / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@dataclass(frozen=True)
class Mirror:
    folder: Path  # what the server publishes
    url: str  # base URL, ending with "/"
    handler: type[QuietHandler]  # set `handler.truncate` to cut transfers short, `unavailable` for 503s


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    """An HTTP server on 127.0.0.1 (a thread, stopped after the test) publishing an empty folder."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = type("Handler", (QuietHandler,), {"unavailable": {}})  # one per test: its settings never leak
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Mirror(folder=folder, url=f"http://127.0.0.1:{httpd.server_address[1]}/", handler=handler)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
