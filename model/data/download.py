"""Fetching the full MNIST and Fashion-MNIST files once, verified, into the local data cache.

Files live in `data_root() / <dataset name>` (MNISTQ_DATA_DIR, default ~/.cache/mnistq). A file is used only
when its SHA-256 matches the table below. Downloads go to a temporary file in the same folder and are moved
into place with os.replace only after the checksum matches, so an interrupted or corrupted transfer never
leaves a file that looks complete. Before downloading, `local_dirs` (read-only copies such as the Debian
package dataset-fashion-mnist) are tried and, when they verify, read in place.

A transfer that fails in a way the next one may not (no connection, a timeout, an HTTP 5xx, a body cut short) is
tried again after RETRY_DELAYS_SECONDS; a missing file (HTTP 4xx) or a checksum mismatch is not. When the
download fails for good, a cache folder it created and left empty is removed again.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from core import settings
from core.errors import DataError

DATA_DIR_ENV = "MNISTQ_DATA_DIR"
CHUNK_BYTES = 1 << 20
TIMEOUT_SECONDS = 30
RETRY_DELAYS_SECONDS = (2.0, 6.0)  # pauses before the second and third try of one file

# progress(file name, bytes done, total bytes or None when the server does not say)
Progress = Callable[[str, int, int | None], None]

IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@dataclass(frozen=True)
class RemoteDataset:
    """Where a downloadable dataset comes from and how to recognise its files."""

    name: str  # also the cache sub-folder, e.g. "mnist"
    url_env: str  # environment variable that overrides the base URL, e.g. MNISTQ_MNIST_URL
    default_url: str  # base URL; a file's URL is base + file name
    sha256: Mapping[str, str]  # file name -> expected SHA-256 (hex)
    local_dirs: tuple[Path, ...] = ()  # read-only folders that may already hold verified copies

    def base_url(self) -> str:
        base = os.environ.get(self.url_env, "").strip() or self.default_url  # checked by core.settings
        return base if base.endswith("/") else base + "/"


REMOTE: dict[str, RemoteDataset] = {
    "mnist": RemoteDataset(
        name="mnist",
        url_env="MNISTQ_MNIST_URL",
        default_url="https://storage.googleapis.com/cvdf-datasets/mnist/",
        sha256={
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    ),
    "fashion-mnist": RemoteDataset(
        name="fashion-mnist",
        url_env="MNISTQ_FASHION_MNIST_URL",
        default_url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        sha256={
            "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
            "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
            "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
            "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        },
        local_dirs=(Path("/usr/share/datasets/fashion-mnist"),),  # Debian: dataset-fashion-mnist
    ),
}


class TransferCutShort(DataError):
    """The server sent fewer bytes than its Content-Length: a transient failure, worth another try."""


def data_root() -> Path:
    """The cache root: $MNISTQ_DATA_DIR, else ~/.cache/mnistq (SettingError when it names a file)."""
    return settings.read(DATA_DIR_ENV)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_files(
    dataset: RemoteDataset, cache_dir: Path | None = None, progress: Progress | None = None
) -> dict[str, Path]:
    """Every file of `dataset` (name -> verified path), downloading only what is missing.

    Order per file: the cache folder, then each of `local_dirs` (used in place), then the network.
    Raises DataError when a cached file fails its checksum (it was put there by hand: nothing here writes
    an unverified file), when a download fails its checksum, or when the server is unreachable.
    """
    cache_dir = cache_dir or data_root() / dataset.name
    found: dict[str, Path] = {}
    missing: list[str] = []
    for file_name, expected in dataset.sha256.items():
        path = _verified_copy(dataset, cache_dir, file_name, expected)
        if path is None:
            missing.append(file_name)
        else:
            found[file_name] = path
    created = _absent_folders(cache_dir)
    try:
        for index, file_name in enumerate(missing):
            found[file_name] = _download(dataset, cache_dir, file_name, missing[index:], progress)
    except DataError:
        _remove_if_empty(created)
        raise
    return found


def _absent_folders(folder: Path) -> list[Path]:
    """`folder` and its ancestors that do not exist yet, deepest first: what a download would create."""
    absent: list[Path] = []
    while not folder.exists() and folder != folder.parent:
        absent.append(folder)
        folder = folder.parent
    return absent


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove `folders` (deepest first) while they are empty, so a failed download leaves no empty cache."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (a file verified before the failure), or already gone
            return


def _verified_copy(dataset: RemoteDataset, cache_dir: Path, file_name: str, expected: str) -> Path | None:
    cached = cache_dir / file_name
    if cached.is_file():
        actual = sha256_file(cached)
        if actual != expected:
            raise DataError(
                f"{cached}: SHA-256 {actual} does not match the expected {expected}: "
                f"delete it to download it again, or replace it with the original {file_name}"
            )
        return cached
    for folder in dataset.local_dirs:
        candidate = folder / file_name
        if candidate.is_file() and sha256_file(candidate) == expected:
            return candidate
    return None


def _download(
    dataset: RemoteDataset, cache_dir: Path, file_name: str, still_missing: list[str], progress: Progress | None
) -> Path:
    """Fetch one file into `cache_dir`, trying a transient failure again after each of RETRY_DELAYS_SECONDS;
    the offline message lists `still_missing` for a manual copy."""
    url = dataset.base_url() + file_name
    target = cache_dir / file_name
    tries = len(RETRY_DELAYS_SECONDS) + 1
    for attempt in range(1, tries + 1):
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
                _stream_verified(response, target, dataset.sha256[file_name], url, progress)
            return target
        except PermissionError as exc:
            raise DataError(f"cannot write {target}: {exc.strerror}; set {DATA_DIR_ENV} to a writable folder") from None
        except TransferCutShort:
            if attempt == tries:
                raise
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == tries:
                reason = f"HTTP {exc.code} {exc.reason}"
                raise _unreachable(dataset, url, reason, attempt, cache_dir, still_missing) from None
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
            if attempt == tries:
                reason = getattr(exc, "reason", exc)
                raise _unreachable(dataset, url, reason, attempt, cache_dir, still_missing) from None
        _pause(RETRY_DELAYS_SECONDS[attempt - 1])
    raise AssertionError("unreachable: the last try returns or raises")


def _pause(seconds: float) -> None:
    """The backoff between tries, in seconds (a function of its own, so tests record it instead of waiting)."""
    time.sleep(seconds)


def _unreachable(
    dataset: RemoteDataset, url: str, reason: object, tries: int, cache_dir: Path, still_missing: list[str]
) -> DataError:
    """The one-line error of a download that failed for good, saying how to get the files by hand."""
    tried = f" (tried {tries} times)" if tries > 1 else ""
    return DataError(
        f"cannot download {dataset.name}: {url}: {reason}{tried}; put {', '.join(still_missing)} "
        f"(from {dataset.base_url()}) into {cache_dir} by hand, or set {dataset.url_env} to a reachable mirror"
    )


def _stream_verified(
    response: http.client.HTTPResponse, target: Path, expected: str, url: str, progress: Progress | None
) -> None:
    """Copy `response` into a temp file beside `target`; os.replace it into place only if the hash matches."""
    total = getattr(response, "length", None)  # Content-Length, when the server sends one
    digest = hashlib.sha256()
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            done = 0
            if progress:
                progress(target.name, 0, total)
            while chunk := response.read(CHUNK_BYTES):
                handle.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(target.name, done, total)
            handle.flush()
            os.fsync(handle.fileno())
        if total is not None and done != total:
            raise TransferCutShort(
                f"{url}: transfer cut short after {done} of {total} bytes: not saved; retry, or put the "
                f"original {target.name} into {target.parent} by hand"
            )
        actual = digest.hexdigest()
        if actual != expected:
            raise DataError(
                f"{url}: downloaded SHA-256 {actual} does not match the expected {expected}: "
                f"not saved (corrupted transfer or wrong mirror); retry, or put the original {target.name} "
                f"into {target.parent} by hand"
            )
        os.chmod(temp_name, 0o644)  # mkstemp makes it 0600; the cache is readable like any download
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
