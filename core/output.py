"""Writing output files only where the user meant: `export -o`, `report -o`.

A file is written to a temporary name in the target's folder and renamed over the target, so a reader never
sees half of it. The rename would replace whatever the path names, so the target is checked first, without
following links (`lstat`): it must not exist, or be a regular file (or, for a folder of files, a real folder).
A device node (`-o /dev/null` as root), a FIFO or a symlink is refused. A new file gets the permissions the
umask gives (0644 under the usual 022), not the temporary file's 0600; a replaced file keeps its own.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from core.errors import UserError
from core.text import clip, printable


class OutputError(UserError):
    """An output path that cannot or must not be written."""


def check_output_file(path: Path, option: str = "-o") -> Path:
    """Refuse `path` unless it is absent or a regular file, in an existing folder (OutputError, exit 2)."""
    return _check(path, option, stat.S_ISREG, "a new file or a regular file")


def check_output_folder(path: Path, option: str = "-o") -> Path:
    """Refuse `path` unless it is absent or a real folder (not a symlink), in an existing folder."""
    return _check(path, option, stat.S_ISDIR, "a new or existing folder")


def _check(path: Path, option: str, is_wanted: Callable[[int], bool], wanted: str) -> Path:
    _check_parent(path, option)
    mode = _lstat_mode(path, option)
    if mode is not None and not is_wanted(mode):
        raise OutputError(f"{option} {_shown(path)}: is {_kind(mode)}: expected {wanted}")
    return path


def write_atomically(path: Path, data: bytes, option: str = "-o") -> int:
    """Write `data` to `path` (checked as by `check_output_file`) through a temporary file and a rename.
    Returns the bytes written. OutputError (exit 2) when the folder cannot be written."""
    check_output_file(path, option)
    existing = _lstat_mode(path, option)
    mode = stat.S_IMODE(existing) if existing is not None else 0o666 & ~_umask()
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.")
    except OSError as exc:
        raise OutputError(f"{option} {_shown(path)}: cannot write in {_shown(path.parent)}: {exc.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"{option} {_shown(path)}: cannot write: {exc.strerror}") from None
    return len(data)


def _check_parent(path: Path, option: str) -> None:
    parent = path.parent
    try:
        is_dir = parent.is_dir()
    except OSError:  # e.g. a name too long
        is_dir = False
    if not is_dir:
        what = "is not a folder" if parent.exists() else "does not exist"
        raise OutputError(f"{option} {_shown(path)}: folder {_shown(parent)} {what}")


def _lstat_mode(path: Path, option: str) -> int | None:
    try:
        return os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"{option} {_shown(path)}: {exc.strerror}") from None


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def _umask() -> int:
    """The process umask (read by setting it and putting it back: there is no getter)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def _shown(path: Path) -> str:
    return clip(printable(str(path)))
