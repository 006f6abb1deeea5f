"""`submit` reads every csv:/idx: dataset of a spec with the training loaders before storing anything: a
malformed file is one line and exit 2; in queue mode a path that exists only on the workers' hosts, or a
relative one, is a warning on stderr that changes nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from db import open_store, session_scope
from db.queries import list_sweeps
from scheduler.spec import load_spec
from scheduler.spec_errors import SpecError
from scheduler.submit import check_datasets

from ..data.test_cli import run as run_cli  # main(argv) -> (exit code, stdout, stderr)

HEADER = "label," + ",".join(f"p{i}" for i in range(4))
GOOD_CSV = HEADER + "\n" + "".join(f"{d},0,{d},40,255\n" for d in range(10)) * 3


def spec_for(tmp_path: Path, dataset: str, extra: str = "", name: str = "spec.toml"):
    path = tmp_path / name
    path.write_text(f'name = "data"\n[fixed]\ndataset = "{dataset}"\nepochs = 2\n{extra}', encoding="utf-8")
    return load_spec(path)


def test_a_good_csv_passes_without_warnings(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_text(GOOD_CSV)
    spec = spec_for(tmp_path, f"csv:{tmp_path / 'good.csv'}", "[grid]\nseed = [0, 1, 2]\n")
    assert check_datasets(spec, queue=False) == []
    assert check_datasets(spec, queue=True) == []


def test_builtin_datasets_are_not_read_here(tmp_path: Path) -> None:
    assert check_datasets(spec_for(tmp_path, "mnist"), queue=False) == []


@pytest.mark.parametrize(
    "body, expected",
    [
        (HEADER + "\n1,0,12,40,255\n2,0,300,0,0\n", r"bad.csv: line 3, column 3 \('p1'\): pixel value 300"),
        (HEADER + "\n1,0,12,40,255\n2,0,0\n", r"bad.csv: line 3: 3 columns, expected 5 as in the header"),
        (HEADER + "\n" + "3,0,12,40,255\n" * 20, r"classes 0, 1, 2, 4, 5, 6, 7, 8, 9 have no samples"),
        ("", r"bad.csv: the file is empty"),
    ],
    ids=["pixel-300", "ragged-rows", "one-class", "empty"],
)
@pytest.mark.parametrize("queue", [False, True], ids=["local", "queue"])
def test_a_malformed_csv_is_refused_in_both_modes(tmp_path: Path, body: str, expected: str, queue: bool) -> None:
    (tmp_path / "bad.csv").write_text(body)
    spec = spec_for(tmp_path, f"csv:{tmp_path / 'bad.csv'}")
    with pytest.raises(SpecError, match=rf"^{tmp_path / 'spec.toml'}: .*{expected}"):
        check_datasets(spec, queue=queue)


def test_a_bad_idx_magic_number_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x01" + b"\x00" * 40)
    (folder / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x01\x03")
    with pytest.raises(SpecError, match="train-images-idx3-ubyte: bad IDX magic number 0x00000801"):
        check_datasets(spec_for(tmp_path, f"idx:{folder}"), queue=False)


def test_each_label_column_is_checked(tmp_path: Path) -> None:
    (tmp_path / "two.csv").write_text(
        "digit,p0,p1,p2,other\n" + "".join(f"{d},0,{d},40,300\n" for d in range(10)) * 2
    )
    good = spec_for(tmp_path, f"csv:{tmp_path / 'two.csv'}", 'label_column = "digit"\n')
    with pytest.raises(SpecError, match=r"column 5 \('other'\): pixel value 300"):
        check_datasets(good, queue=False)
    missing = spec_for(tmp_path, f"csv:{tmp_path / 'two.csv'}", 'label_column = "digits"\n')
    with pytest.raises(SpecError, match="no column named 'digits' for the label"):
        check_datasets(missing, queue=False)


def test_a_class_lost_to_one_seeds_split_is_found(tmp_path: Path) -> None:
    """Every class must reach the training split of every config. Class 9's only sample goes to the test
    split under some seeds (2) and not others (1, 3, 4): the whole grid of seeds is checked."""
    rows = "".join(f"{d},0,{d},40,255\n" for d in range(9) for _ in range(3)) + "9,0,9,40,255\n"
    (tmp_path / "rare.csv").write_text(HEADER + "\n" + rows)
    fixed = "val_fraction = 0.0\ntest_fraction = 0.5\n[grid]\n"
    lucky = spec_for(tmp_path, f"csv:{tmp_path / 'rare.csv'}", fixed + "seed = [1, 3, 4]\n")
    assert check_datasets(lucky, queue=False) == []
    unlucky = spec_for(tmp_path, f"csv:{tmp_path / 'rare.csv'}", fixed + "seed = [1, 2, 3]\n")
    with pytest.raises(SpecError, match="class 9 has no samples in the training split"):
        check_datasets(unlucky, queue=False)


def test_a_missing_path_is_an_error_locally_and_a_warning_in_queue_mode(tmp_path: Path) -> None:
    spec = spec_for(tmp_path, f"csv:{tmp_path / 'nope.csv'}")
    with pytest.raises(SpecError, match=r"spec.toml: dataset = 'csv:.*nope.csv': .*nope.csv does not exist$"):
        check_datasets(spec, queue=False)
    (warning,) = check_datasets(spec, queue=True)
    assert warning == (
        f"{spec.source}: dataset = 'csv:{tmp_path / 'nope.csv'}': {tmp_path / 'nope.csv'} does not exist here: "
        "workers read it on their own host"
    )


def test_a_relative_path_is_a_warning_in_queue_mode_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("good.csv").write_text(GOOD_CSV)
    spec = spec_for(tmp_path, "csv:good.csv")
    assert check_datasets(spec, queue=False) == []
    assert check_datasets(spec, queue=True) == [
        f"{spec.source}: dataset = 'csv:good.csv': a relative path: each worker resolves it in its own working "
        "directory"
    ]
    missing = spec_for(tmp_path, "idx:absent")
    assert check_datasets(missing, queue=True) == [
        f"{missing.source}: dataset = 'idx:absent': absent does not exist here: workers read it on their own "
        "host; a relative path, resolved in each worker's working directory"
    ]


# ----- through the front door -----------------------------------------------------------------------------


def test_queue_mode_warns_on_stderr_and_still_submits(
    tmp_path: Path, queue_env: str, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "remote.toml"
    path.write_text('name = "remote"\n[fixed]\ndataset = "csv:/data/on/the/workers.csv"\nepochs = 2\n')
    code, out, err = run_cli(["submit", "--json", str(path)], capfd)
    assert code == 0, err
    warning, note = err.splitlines()
    assert warning == (
        f"mnistq: warning: {path}: dataset = 'csv:/data/on/the/workers.csv': /data/on/the/workers.csv does not "
        "exist here: workers read it on their own host"
    )
    assert note.startswith("sweep 1 (remote): 1 runs, 1 new")
    with session_scope(open_store(queue_env)) as session:
        assert [s.name for s in list_sweeps(session)] == ["remote"]


def test_queue_mode_refuses_a_malformed_file_it_can_see(
    tmp_path: Path, queue_env: str, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.csv").write_text(HEADER + "\n1,0,12,40,255\n2,0,300,0,0\n")
    path = tmp_path / "bad.toml"
    path.write_text(f'[fixed]\ndataset = "csv:{tmp_path / "bad.csv"}"\nepochs = 2\n')
    code, _, err = run_cli(["submit", str(path)], capfd)
    assert (code, err.count("\n")) == (2, 1) and "pixel value 300 is outside 0-255" in err
    assert not (tmp_path / "store.db").exists()  # nothing stored: the store was never even created
