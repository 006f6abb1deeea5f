"""`mnistq data ...` through the real front door: exit codes, one JSON object, one-line errors."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from model.data.download import IDX_FILES, REMOTE, sha256_file
from scheduler.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_describe_json_is_one_object(capsys):
    code, out, err = run(["data", "describe", "--json", "--top-k", "3"], capsys)
    assert code == 0 and err == ""
    summary = json.loads(out)
    assert summary["samples"] == 5000 and len(summary["correlation"]["top"]) == 3
    assert "NaN" not in out


def test_describe_text(capsys):
    code, out, _ = run(["data", "describe", "--dataset", "digits", "--top-k", "2"], capsys)
    assert code == 0
    assert "samples          1797" in out and "8x8 = 64 pixels, values 0..16" in out
    assert "top 2 pixels by |r|" in out


def test_csv_with_label_column(capsys, write_csv, csv_text):
    path = write_csv(csv_text(n=10, side=2, label_first=False))
    code, out, _ = run(["data", "describe", "-d", f"csv:{path}", "--label-column", "label", "--json"], capsys)
    assert code == 0 and json.loads(out)["image_shape"] == [2, 2]


def test_bad_dataset_exits_2_with_one_line(capsys):
    code, out, err = run(["data", "describe", "--dataset", "mnist-6k"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("mnistq: error: unknown dataset 'mnist-6k'") and "did you mean 'mnist-5k'" in err


def test_malformed_csv_exits_2_without_traceback(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("label,a,b,c,d\n1,2,3,4,x\n")
    result = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "data", "describe", "-d", f"csv:{path}"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"mnistq: error: {path}: line 2, column 5 ('d'): expected a number, got 'x'\n"


def test_fetch_offline_exits_2_and_says_where_files_go(capsys, monkeypatch, data_dir):
    monkeypatch.setenv("MNISTQ_MNIST_URL", "http://127.0.0.1:9/")  # discard port: refused
    code, _, err = run(["data", "fetch", "mnist"], capsys)
    assert code == 2 and "cannot download mnist" in err
    assert f"into {data_dir / 'mnist'} by hand" in err


def test_fetch_reports_verified_local_copies(capsys, monkeypatch, tmp_path, idx_bytes):
    for name in IDX_FILES:
        (tmp_path / name).write_bytes(idx_bytes([1, 2]))
    sums = {name: sha256_file(tmp_path / name) for name in IDX_FILES}
    toy = dataclasses.replace(REMOTE["fashion-mnist"], sha256=sums, local_dirs=(tmp_path,))
    monkeypatch.setitem(REMOTE, "fashion-mnist", toy)
    code, out, _ = run(["data", "fetch", "fashion-mnist"], capsys)
    assert code == 0
    assert f"fashion-mnist: t10k-labels-idx1-ubyte.gz verified at {tmp_path / 't10k-labels-idx1-ubyte.gz'}" in out


def test_fetch_downloads_with_progress(capsys, monkeypatch, mirror, idx_bytes, data_dir):
    for name in IDX_FILES:
        (mirror.folder / name).write_bytes(idx_bytes(list(range(10))))
    sums = {name: sha256_file(mirror.folder / name) for name in IDX_FILES}
    monkeypatch.setitem(REMOTE, "mnist", dataclasses.replace(REMOTE["mnist"], sha256=sums))
    monkeypatch.setenv("MNISTQ_MNIST_URL", mirror.url)
    code, out, err = run(["data", "fetch", "mnist"], capsys)
    assert code == 0
    assert out.count("verified at " + str(data_dir / "mnist")) == 4
    assert "train-images-idx3-ubyte.gz" in err  # the progress bars go to stderr
