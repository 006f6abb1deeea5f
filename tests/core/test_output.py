"""`-o` writes only where the user meant: never through a symlink, over a device or a FIFO, and new files get
the umask's permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core.output import OutputError, check_output_folder, write_atomically


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_atomically(tmp_path / "new.bin", b"data")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.bin").stat().st_mode) == 0o640
    assert (tmp_path / "new.bin").read_bytes() == b"data"


def test_a_replaced_regular_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "kept.bin"
    target.write_bytes(b"old")
    target.chmod(0o604)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o604


def test_symlinks_fifos_and_devices_are_refused_and_left_alone(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"keep")
    link = tmp_path / "link"
    link.symlink_to(real)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target, kind in ((link, "a symbolic link"), (fifo, "a FIFO"), (Path("/dev/null"), "a device")):
        with pytest.raises(OutputError, match=kind):
            write_atomically(target, b"x")
    assert link.is_symlink() and real.read_bytes() == b"keep" and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "link", "real"]  # no temporary file left


def test_a_folder_under_a_regular_file_or_in_proc_is_one_line(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(OutputError, match="is not a folder"):
        write_atomically(file / "out.html", b"x")
    with pytest.raises(OutputError, match="cannot write"):
        write_atomically(Path("/proc/mnistq-report.html"), b"x")
    with pytest.raises(OutputError, match="a symbolic link"):
        link = tmp_path / "dir-link"
        link.symlink_to(tmp_path)
        check_output_folder(link)
