"""Only the commands that store new work (`submit`, `worker`, `db upgrade`) create the store. Every other
command on a missing SQLite file or an empty PostgreSQL database says so in one line, exits 2, and leaves no
file and no table behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from ..data.test_cli import run  # main(argv) -> (exit code, stdout, stderr)

READ_ONLY = [
    ("status",),
    ("sweeps",),
    ("runs", "--sweep", "latest"),
    ("show", "1"),
    ("cancel", "1"),
    ("retry", "1"),
    ("export", "1", "-o", "w.npz"),
    ("predict", "1"),
    ("report", "1", "-o", "r.html"),
    ("reap",),
]


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MNISTQ_DATABASE_URL", "MNISTQ_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("argv", READ_ONLY, ids=lambda a: a[0])
def test_a_read_only_command_on_a_missing_sqlite_store_creates_nothing(
    argv: tuple[str, ...], empty_folder: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(list(argv), capfd)
    assert (code, err.count("\n")) == (2, 1), err
    assert "no store at mnistq.db" in err and "mnistq submit" in err and "mnistq db upgrade" in err
    assert list(empty_folder.iterdir()) == []


def test_db_current_reports_a_missing_file_without_creating_it(
    empty_folder: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["db", "current"], capfd)
    assert code == 0 and "no database file yet" in out and list(empty_folder.iterdir()) == []


@pytest.mark.parametrize("argv", [("runs",), ("status",), ("sweeps",)], ids=lambda a: a[0])
def test_a_read_only_command_on_an_empty_postgresql_database_installs_no_table(
    argv: tuple[str, ...], pg_url: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MNISTQ_DATABASE_URL", pg_url)
    code, _, err = run(list(argv), capfd)
    assert (code, err.count("\n")) == (2, 1), err
    assert "holds no mnistq store yet" in err
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_submit_creates_the_store(empty_folder: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (empty_folder / "one.toml").write_text('[fixed]\ndataset = "digits"\nepochs = 1\nhidden = [8]\n')
    code, _, err = run(["submit", "one.toml", "--workers", "1"], capfd)
    assert code == 0, err
    assert (empty_folder / "mnistq.db").exists()
    code, out, _ = run(["runs"], capfd)
    assert code == 0 and "completed" in out
