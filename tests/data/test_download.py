"""Downloads against a loopback HTTP server: verified, atomic, clear errors when offline or corrupted."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import socket
from pathlib import Path

import numpy as np
import pytest

from core.errors import DataError
from model.data import download
from model.data.download import IDX_FILES, REMOTE, RemoteDataset, ensure_files, sha256_file
from model.data.specs import load_raw

DELAYS = download.RETRY_DELAYS_SECONDS  # seconds between tries (recorded by the `pauses` fixture)
FILES = {"a.bin": b"alpha" * 1000, "b.bin": b"bravo" * 300}


@pytest.fixture
def served(mirror) -> Path:
    """The folder the loopback server publishes, filled with FILES."""
    for name, body in FILES.items():
        (mirror.folder / name).write_bytes(body)
    return mirror.folder


@pytest.fixture
def server(served: Path, mirror) -> tuple[str, type]:
    """(base URL, handler class) of the loopback server publishing FILES."""
    return mirror.url, mirror.handler


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def toy(url: str, **changes) -> RemoteDataset:
    sums = {name: hashlib.sha256(body).hexdigest() for name, body in FILES.items()}
    return dataclasses.replace(
        RemoteDataset(name="toy", url_env="MNISTQ_TOY_URL", default_url=url, sha256=sums), **changes
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_caches(server, tmp_path):
    url, _ = server
    cache = tmp_path / "cache" / "toy"
    seen: list[tuple[str, int, int | None]] = []
    files = ensure_files(toy(url), cache, progress=lambda *event: seen.append(event))
    assert files == {name: cache / name for name in FILES}
    assert all(files[name].read_bytes() == body for name, body in FILES.items())
    assert leftovers(cache) == ["a.bin", "b.bin"]  # no temp files
    assert ("a.bin", 0, 5000) in seen and ("a.bin", 5000, 5000) in seen


def test_cached_files_need_no_network(server, tmp_path, closed_port_url):
    url, _ = server
    cache = tmp_path / "cache"
    ensure_files(toy(url), cache)
    files = ensure_files(toy(closed_port_url), cache)  # a second run only verifies
    assert files["b.bin"].read_bytes() == FILES["b.bin"]


def test_checksum_mismatch_leaves_no_file_and_is_not_retried(server, tmp_path, pauses):
    url, _ = server
    cache = tmp_path / "cache"
    bad = toy(url, sha256={"a.bin": "0" * 64})
    with pytest.raises(DataError, match=r"a.bin: downloaded SHA-256 [0-9a-f]{64} does not match the expected 0{64}: not saved") as info:
        ensure_files(bad, cache)
    assert "\n" not in str(info.value)
    assert not cache.exists() and pauses == []


def test_interrupted_transfer_is_retried_then_leaves_no_file(server, tmp_path, pauses):
    url, handler = server
    handler.truncate = frozenset({"a.bin"})
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=r"a.bin: transfer cut short after 2500 of 5000 bytes: not saved"):
        ensure_files(toy(url), cache)
    assert not cache.exists()
    assert pauses == list(DELAYS)


def test_offline_error_says_which_files_go_where_and_leaves_no_folder(tmp_path, closed_port_url, pauses):
    cache = tmp_path / "cache" / "toy"
    with pytest.raises(DataError) as info:
        ensure_files(toy(closed_port_url), cache)
    message = str(info.value)
    assert message.startswith(f"cannot download toy: {closed_port_url}a.bin")
    assert f"(tried {len(DELAYS) + 1} times); put a.bin, b.bin (from {closed_port_url}) into {cache} by hand" in message
    assert "MNISTQ_TOY_URL" in message and "\n" not in message
    assert not (tmp_path / "cache").exists()  # neither the dataset's folder nor the cache root it created
    assert pauses == list(DELAYS)


def test_a_failed_download_keeps_a_folder_that_was_there(tmp_path, closed_port_url):
    cache = tmp_path / "cache"
    cache.mkdir()
    with pytest.raises(DataError, match="cannot download toy"):
        ensure_files(toy(closed_port_url), cache)
    assert cache.is_dir()


def test_transient_server_errors_are_retried_with_backoff(server, tmp_path, pauses):
    url, handler = server
    handler.unavailable = {"a.bin": 2, "b.bin": 1}
    files = ensure_files(toy(url), tmp_path / "cache")
    assert files["a.bin"].read_bytes() == FILES["a.bin"] and files["b.bin"].read_bytes() == FILES["b.bin"]
    assert handler.unavailable == {"a.bin": 0, "b.bin": 0}  # every 503 was answered by a new try
    assert pauses == [*DELAYS, DELAYS[0]]  # each file's tries back off afresh
    assert DELAYS[0] < DELAYS[1]


def test_an_outage_outlasting_the_tries_keeps_the_files_already_verified(server, tmp_path, pauses):
    url, handler = server
    handler.unavailable = {"b.bin": len(DELAYS) + 1}
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=r"b.bin: HTTP 503 Service Unavailable \(tried 3 times\); put b.bin "):
        ensure_files(toy(url), cache)
    assert leftovers(cache) == ["a.bin"]
    assert ensure_files(toy(url), cache)["b.bin"].read_bytes() == FILES["b.bin"]  # the server is back


def test_missing_remote_file_is_a_clear_error_and_not_retried(server, tmp_path, pauses):
    url, _ = server
    with pytest.raises(DataError, match=r"cannot download toy: http://127.0.0.1:\d+/c.bin: HTTP 404 [^(]*; put c.bin"):
        ensure_files(toy(url, sha256={"c.bin": "0" * 64}), tmp_path / "cache")
    assert pauses == [] and not (tmp_path / "cache").exists()


def test_environment_overrides_the_base_url(server, tmp_path, closed_port_url, monkeypatch):
    url, _ = server
    monkeypatch.setenv("MNISTQ_TOY_URL", url.rstrip("/"))  # a missing trailing slash is fine
    files = ensure_files(toy(closed_port_url), tmp_path / "cache")
    assert files["a.bin"].read_bytes() == FILES["a.bin"]


def test_corrupted_cached_file_is_reported_not_used(tmp_path, closed_port_url):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "a.bin").write_bytes(b"not alpha")
    with pytest.raises(DataError, match=r"a.bin: SHA-256 [0-9a-f]{64} does not match the expected .*delete it to download it again"):
        ensure_files(toy(closed_port_url), cache)


def test_verified_local_copy_is_read_in_place(served, tmp_path, closed_port_url):
    cache = tmp_path / "cache"
    files = ensure_files(toy(closed_port_url, local_dirs=(tmp_path / "absent", served)), cache)
    assert files == {name: served / name for name in FILES}
    assert leftovers(cache) == []


def test_wrong_local_copy_is_skipped_for_the_download(server, tmp_path):
    url, _ = server
    local = tmp_path / "local"
    local.mkdir()
    (local / "a.bin").write_bytes(b"something else")
    files = ensure_files(toy(url, local_dirs=(local,)), tmp_path / "cache")
    assert files["a.bin"] == tmp_path / "cache" / "a.bin"


def test_mnist_spec_downloads_idx_files_through_the_injected_checksums(served, server, idx_bytes, monkeypatch, data_dir):
    url, _ = server
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (20, 3, 3)),
        "train-labels-idx1-ubyte.gz": np.arange(20) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (5, 3, 3)),
        "t10k-labels-idx1-ubyte.gz": np.arange(5),
    }
    for name, array in arrays.items():
        (served / name).write_bytes(gzip.compress(idx_bytes(array)))
    sums = {name: sha256_file(served / name) for name in IDX_FILES}
    monkeypatch.setitem(REMOTE, "mnist", dataclasses.replace(REMOTE["mnist"], sha256=sums))
    monkeypatch.setenv("MNISTQ_MNIST_URL", url)
    raw = load_raw("mnist")
    assert raw.x.shape == (20, 9) and raw.test_x.shape == (5, 9) and raw.image_shape == (3, 3)
    assert raw.test_y.tolist() == [0, 1, 2, 3, 4]
    assert sorted(p.name for p in (data_dir / "mnist").iterdir()) == sorted(IDX_FILES)


def test_real_checksum_tables_are_complete():
    for dataset in REMOTE.values():
        assert sorted(dataset.sha256) == sorted(IDX_FILES)
        assert all(len(s) == 64 and int(s, 16) >= 0 for s in dataset.sha256.values())
    assert REMOTE["mnist"].sha256["t10k-labels-idx1-ubyte.gz"].startswith("f7ae60f9")


@pytest.mark.skipif(
    not REMOTE["fashion-mnist"].local_dirs[0].is_dir(), reason="Debian package dataset-fashion-mnist not installed"
)
def test_fashion_mnist_checksums_match_the_debian_copy():
    folder = REMOTE["fashion-mnist"].local_dirs[0]
    assert {name: sha256_file(folder / name) for name in IDX_FILES} == dict(REMOTE["fashion-mnist"].sha256)


def test_data_root_follows_the_environment(data_dir):
    assert download.data_root() == data_dir


@pytest.mark.skipif(
    not REMOTE["fashion-mnist"].local_dirs[0].is_dir(), reason="Debian package dataset-fashion-mnist not installed"
)
def test_fashion_mnist_loads_from_the_debian_copy_without_network(data_dir, monkeypatch):
    monkeypatch.setenv("MNISTQ_FASHION_MNIST_URL", "http://127.0.0.1:9/")  # any download attempt would fail
    raw = load_raw("fashion-mnist")
    assert raw.x.shape == (60000, 784) and raw.test_x.shape == (10000, 784)
    assert np.bincount(raw.y).tolist() == [6000] * 10
    assert not (data_dir / "fashion-mnist").exists()  # read in place, nothing copied
