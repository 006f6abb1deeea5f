"""Bad input, table-driven: every case is a user mistake that `mnistq` must answer with exit code 2 and ONE line
on stderr (no traceback) naming what is wrong, while the store stays exactly as it was (every row of every table
compared before and after).

The cases run through the real front door, `scheduler.cli.main`, in this process (a subprocess per case would
take minutes); `tests/security/test_secrets.py` runs a few of them as real processes. The store is a populated
SQLite file built once for the module; the environment cases that must not write to a server use PostgreSQL.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine, make_url

from db import open_store, session_scope
from db.models import Artifact, Base
from scheduler.spec import load_spec
from scheduler.submit import store_sweep
from worker.execute import execute_run

from .data.test_cli import run as run_cli  # main(argv) -> (exit code, stdout, stderr)
from .faults.helpers import PrivateRedis

GOOD_SPEC = 'name = "ok"\n[fixed]\ndataset = "digits"\nepochs = 2\nhidden = [8]\n[grid]\nseed = [0, 1]\n'


@dataclass(frozen=True)
class Case:
    """`argv` may name files of the module's `inputs` folder as {name}; `error` must appear in the message."""

    id: str
    argv: tuple[str, ...]
    error: str
    env: dict[str, str] = field(default_factory=dict)


def _spec(body: str) -> str:
    return f'name = "bad"\n{body}\n'


SPECS = {  # file name -> text
    "syntax.toml": 'name = "x"\n[fixed\nepochs = 2\n',
    "syntax.json": '{"name": "x", "grid": {"seed": [0, 1]}',
    "unknown-key.toml": _spec("[fixed]\nlearning_rat = 0.1"),
    "wrong-type.toml": _spec('[fixed]\nepochs = "ten"'),
    "negative-lr.toml": _spec("[grid]\nlearning_rate = [0.1, -0.01]"),
    "zero-epochs.toml": _spec("[fixed]\nepochs = 0"),
    "empty-grid.toml": _spec("[grid]\nseed = []"),
    "huge-grid.toml": _spec("[grid]\n" + "\n".join(f"{k} = {list(range(1, 41))}" for k in ("seed", "epochs", "batch_size"))),
    "no-layers.toml": _spec("[fixed]\nhidden = []"),
    "zero-width.toml": _spec("[grid]\nhidden = [[64, 0]]"),
    "too-wide.toml": _spec("[fixed]\nhidden = [100000]"),
    "too-deep.toml": _spec(f"[fixed]\nhidden = {[8] * 40}"),
    "too-long.toml": _spec("[fixed]\nepochs = 100000"),
    "unknown-engine.toml": _spec('[fixed]\nengine = "pytorch"'),
    "unknown-dataset.toml": _spec('[fixed]\ndataset = "mnist-6k"'),
    "sklearn-dropout.toml": _spec('[fixed]\nengine = "sklearn"\ndropout = 0.5'),
    "missing-csv.toml": _spec('[fixed]\ndataset = "csv:/nonexistent/mnistq/digits.csv"'),
    "long-name.toml": f'name = "{"x" * 5000}"\n[fixed]\nepochs = 2\n',
    "deep.toml": _spec("[fixed]\nhidden = " + "[" * 2000 + "]" * 2000),
    "deep.json": '{"fixed": {"hidden": ' + "[" * 2000 + "]" * 2000 + "}}",
    "osc-title.toml": 'name = "sweep\\u001b]0;owned\\u0007"\n[fixed]\nepochs = 2\n',
    "osc-clipboard.toml": 'name = "\\u001b]52;c;cm0gLXJmIH4=\\u0007"\n[fixed]\nepochs = 2\n',
    "carriage-return.toml": 'name = "ok\\r   done"\n[fixed]\nepochs = 2\n',
    "nul.toml": 'name = "a\\u0000b"\n[fixed]\nepochs = 2\n',
    "escape-description.toml": _spec('description = "\\u001b[2J"\n[fixed]\nepochs = 2'),
    "empty.toml": "",
    "name-only.toml": 'name = "defaults by accident"\n',
    "momentum-sgd.toml": _spec("[fixed]\nmomentum = 0.9"),
    "gamma-constant.toml": _spec("[grid]\nlr_gamma = [0.5, 0.2]"),
    "search-strategy.toml": _spec('[fixed]\nepochs = 2\n[search]\nstrategy = "hyperband"'),
    "search-metric.toml": _spec('[fixed]\nepochs = 2\n[search]\nstrategy = "asha"\nmetric = "accuracy"'),
    "search-eta.toml": _spec('[fixed]\nepochs = 2\n[search]\nstrategy = "asha"\neta = 1'),
    "search-eta-bool.toml": _spec('[fixed]\nepochs = 2\n[search]\nstrategy = "asha"\neta = true'),
    "search-min-epochs.toml": _spec('[fixed]\nepochs = 2\n[search]\nstrategy = "median"\nmin_epochs = 0'),
    "search-min-epochs-beyond.toml": _spec('[grid]\nepochs = [3, 2]\n[search]\nstrategy = "asha"\nmin_epochs = 3'),
    "search-grid-eta.toml": _spec("[fixed]\nepochs = 2\n[search]\neta = 3"),
    "search-unknown-key.toml": _spec('[fixed]\nepochs = 2\n[search]\nstrategy = "asha"\netta = 3'),
    "search-not-a-table.toml": _spec('search = "asha"\n[fixed]\nepochs = 2'),
    "search-no-val.toml": _spec('[fixed]\nepochs = 2\nval_fraction = 0.0\n[search]\nstrategy = "asha"'),
}
DATASET_SPECS = {  # spec file name -> the dataset it names ({placeholders} filled in by the fixture)
    "submit-pixel-300.toml": "csv:{pixel-300.csv}",
    "submit-columns.toml": "csv:{columns.csv}",
    "submit-one-class.toml": "csv:{one-class.csv}",
    "submit-text-cell.toml": "csv:{text-cell.csv}",
    "submit-idx-bad-magic.toml": "idx:{idx-bad-magic}",
    "submit-idx-truncated-gz.toml": "idx:{idx-truncated-gz}",
    "submit-missing-label-column.toml": "csv:{one-class.csv}",
}
HEADER = "label," + ",".join(f"p{i}" for i in range(4))
CSVS = {
    "text-cell.csv": f"{HEADER}\n1,0,12,abc,255\n2,0,0,0,0\n",
    "columns.csv": f"{HEADER}\n1,0,12,40,255\n2,0,0\n",
    "label-11.csv": f"{HEADER}\n1,0,12,40,255\n11,0,0,0,0\n",
    "pixel-300.csv": f"{HEADER}\n1,0,12,40,255\n2,0,300,0,0\n",
    "empty.csv": "",
    "one-class.csv": f"{HEADER}\n" + "3,0,12,40,255\n" * 20,
}

CASES = [
    # grid specs
    Case("spec-syntax-toml", ("submit", "{syntax.toml}"), "syntax.toml: invalid TOML"),
    Case("spec-syntax-json", ("submit", "{syntax.json}"), "syntax.json: invalid JSON"),
    Case("spec-missing", ("submit", "{nothing-here.toml}"), "nothing-here.toml: no such file"),
    Case("spec-unknown-key", ("submit", "{unknown-key.toml}"), "unknown key 'learning_rat'"),
    Case("spec-wrong-type", ("submit", "{wrong-type.toml}"), 'epochs = "ten": expected an integer'),
    Case("spec-negative-lr", ("submit", "{negative-lr.toml}"), "learning_rate = -0.01"),
    Case("spec-zero-epochs", ("submit", "{zero-epochs.toml}"), "epochs = 0"),
    Case("spec-empty-grid", ("submit", "{empty-grid.toml}"), "seed = []: expected at least one value"),
    Case("spec-huge-grid", ("submit", "{huge-grid.toml}"), "MNISTQ_MAX_GRID"),
    Case("spec-no-layers", ("submit", "{no-layers.toml}"), "hidden = []"),
    Case("spec-zero-width", ("submit", "{zero-width.toml}"), "hidden = [64, 0]"),
    Case("spec-too-wide", ("submit", "{too-wide.toml}"), "MNISTQ_MAX_WIDTH"),
    Case("spec-too-deep", ("submit", "{too-deep.toml}"), "MNISTQ_MAX_DEPTH"),
    Case("spec-too-long", ("submit", "{too-long.toml}"), "MNISTQ_MAX_EPOCHS"),
    Case("spec-unknown-engine", ("submit", "{unknown-engine.toml}"), 'engine = "pytorch"'),
    Case("spec-unknown-dataset", ("submit", "{unknown-dataset.toml}"), "mnist-6k"),
    Case("spec-sklearn-lacks-dropout", ("submit", "{sklearn-dropout.toml}"), "dropout = 0.5 is not available"),
    Case("spec-missing-csv", ("submit", "{missing-csv.toml}"), "digits.csv does not exist"),
    Case("spec-nested-2000-deep-toml", ("submit", "{deep.toml}"), "deep.toml: tables and lists nested more than 16"),
    Case("spec-nested-2000-deep-json", ("submit", "{deep.json}"), "deep.json: tables and lists nested more than 16"),
    Case("spec-name-osc-title", ("submit", "{osc-title.toml}"), "without control characters (found \\x1b, \\x07)"),
    Case("spec-name-osc-clipboard", ("submit", "{osc-clipboard.toml}"), "without control characters (found \\x1b"),
    Case("spec-name-carriage-return", ("submit", "{carriage-return.toml}"), "control characters (found \\x0d)"),
    Case("spec-name-nul", ("submit", "{nul.toml}"), "control characters (found \\x00)"),
    Case("spec-description-escape", ("submit", "{escape-description.toml}"), "description = \"\\u001b[2J\""),
    Case("spec-empty-file", ("submit", "{empty.toml}"), "empty.toml: the spec sets no config key"),
    Case("spec-name-only", ("submit", "{name-only.toml}"), "name-only.toml: the spec sets no config key"),
    Case("spec-momentum-with-sgd", ("submit", "{momentum-sgd.toml}"), "momentum applies only with optimizer = 'momentum'"),
    Case("spec-lr-gamma-without-step", ("submit", "{gamma-constant.toml}"), "lr_gamma applies only with lr_schedule = 'step'"),
    Case("search-unknown-strategy", ("submit", "{search-strategy.toml}"), 'search.strategy = "hyperband": expected one of'),
    Case("search-unknown-metric", ("submit", "{search-metric.toml}"), 'search.metric = "accuracy": expected one of'),
    Case("search-eta-one", ("submit", "{search-eta.toml}"), "search.eta = 1: expected a finite number greater than 1"),
    Case("search-eta-bool", ("submit", "{search-eta-bool.toml}"), "search.eta = true: expected a finite number"),
    Case("search-min-epochs-zero", ("submit", "{search-min-epochs.toml}"), "search.min_epochs = 0: expected an integer"),
    Case("search-min-epochs-beyond-epochs", ("submit", "{search-min-epochs-beyond.toml}"), "search.min_epochs = 3: expected at most the fewest epochs of the spec's runs (2)"),
    Case("search-eta-with-grid", ("submit", "{search-grid-eta.toml}"), 'expected strategy = "asha" or "median" to use search.eta'),
    Case("search-unknown-key", ("submit", "{search-unknown-key.toml}"), "unknown key search.etta"),
    Case("search-not-a-table", ("submit", "{search-not-a-table.toml}"), 'search = "asha": expected a [search] table'),
    Case("search-without-validation", ("submit", "{search-no-val.toml}"), "val_fraction = 0.0 in 1 of the spec's runs: expected a validation split"),
    Case("train-momentum-with-sgd", ("train", "--momentum", "0.5"), "momentum = 0.5 has no effect with optimizer = 'sgd'"),
    Case("train-nesterov-with-adam", ("train", "--optimizer", "adam", "--nesterov"), "nesterov applies only with optimizer"),
    Case("train-lr-step-without-step", ("train", "--lr-step-epochs", "5"), "lr_step_epochs applies only with lr_schedule"),
    # a dataset file is read before anything is stored, with the loaders `mnistq train` uses
    Case("submit-csv-pixel-300", ("submit", "{submit-pixel-300.toml}"), "pixel value 300 is outside 0-255"),
    Case("submit-csv-ragged-rows", ("submit", "{submit-columns.toml}"), "3 columns, expected 5"),
    Case("submit-csv-one-class", ("submit", "{submit-one-class.toml}"), "have no samples in the training split"),
    Case("submit-csv-text-cell", ("submit", "{submit-text-cell.toml}"), "got 'abc'"),
    Case("submit-idx-bad-magic", ("submit", "{submit-idx-bad-magic.toml}"), "bad IDX magic number"),
    Case("submit-idx-truncated-gz", ("submit", "{submit-idx-truncated-gz.toml}"), "ubyte.gz: truncated gzip"),
    Case("submit-csv-missing-label-column", ("submit", "{submit-missing-label-column.toml}"), "no column named 'digit'"),
    Case("train-max-width-flag", ("train", "--hidden", "64,99999"), "MNISTQ_MAX_WIDTH"),
    Case("train-bad-lr-flag", ("train", "--lr", "-1"), "learning_rate = -1.0"),
    # datasets, through `mnistq train` and `mnistq data describe`
    Case("train-missing-csv", ("train", "--dataset", "csv:{absent.csv}"), "absent.csv: no such file"),
    Case("describe-missing-idx-dir", ("data", "describe", "--dataset", "idx:{absent-dir}"), "absent-dir does not exist"),
    Case("describe-idx-bad-magic", ("data", "describe", "--dataset", "idx:{idx-bad-magic}"), "bad IDX magic number"),
    Case("train-idx-truncated", ("train", "--dataset", "idx:{idx-truncated}"), "ubyte: truncated"),
    Case("describe-idx-truncated-gz", ("data", "describe", "--dataset", "idx:{idx-truncated-gz}"), "ubyte.gz: truncated gzip"),
    Case("describe-csv-text-cell", ("data", "describe", "--dataset", "csv:{text-cell.csv}"), "got 'abc'"),
    Case("train-csv-text-cell", ("train", "--dataset", "csv:{text-cell.csv}"), "got 'abc'"),
    Case("train-csv-columns", ("train", "--dataset", "csv:{columns.csv}"), "3 columns, expected 5"),
    Case("describe-csv-label-11", ("data", "describe", "--dataset", "csv:{label-11.csv}"), "label 11 is not"),
    Case("train-csv-pixel-300", ("train", "--dataset", "csv:{pixel-300.csv}"), "pixel value 300"),
    Case("describe-csv-empty", ("data", "describe", "--dataset", "csv:{empty.csv}"), "empty.csv: the file is empty"),
    Case("train-csv-empty", ("train", "--dataset", "csv:{empty.csv}"), "empty.csv: the file is empty"),
    # sweep and run ids, filters
    Case("show-unknown-run", ("show", "9999"), "no run 9999"),
    Case("show-run-not-an-id", ("show", "latest"), "run 'latest'"),
    Case("status-unknown-sweep", ("status", "9999"), "no sweep 9999"),
    Case("cancel-unknown-sweep", ("cancel", "9999"), "no sweep 9999"),
    Case("retry-sweep-not-an-id", ("retry", "1; DROP TABLE runs"), "expected a sweep id"),
    Case("extend-unknown-sweep", ("submit", "--extend", "9999", "{good.toml}"), "no sweep 9999"),
    Case("export-unknown-run", ("export", "9999", "-o", "{out.npz}"), "no run 9999"),
    Case("predict-unknown-run", ("predict", "9999"), "no run 9999"),
    Case("runs-where-syntax", ("runs", "--where", "val_acc >"), "expected a value for 'val_acc'"),
    Case("runs-where-unknown-field", ("runs", "--where", "accuracy > 0.5"), "unknown field 'accuracy'"),
    Case("runs-where-injection", ("runs", "--where", "val_acc > 0; DROP TABLE runs"), "unexpected character ';'"),
    Case("runs-where-quote-injection", ("runs", "--where", "engine = 'x' OR 1=1 --'"), "is never closed"),
    Case("runs-order-by-unknown", ("runs", "--order-by", "-accuracy"), "unknown field 'accuracy'"),
    Case("runs-where-500-deep", ("runs", "--where", "(" * 500 + "val_acc > 0.5" + ")" * 500), "nested more than 32 deep"),
    Case("runs-where-500-deep-not", ("runs", "--where", "not " * 500 + "val_acc > 0.5"), "nested more than 32 deep"),
    Case("runs-where-1000-or-terms", ("runs", "--where", " or ".join(["val_acc > 0.5"] * 1000)), "more than 256 conditions"),
    Case("runs-where-6000-values", ("runs", "--where", f"id in ({','.join(['1'] * 6000)})"), "more than 5,000 values"),
    # stored data
    Case("export-corrupt-weights", ("export", "{corrupt_run}", "-o", "{out.npz}"), "SHA-256"),
    Case("predict-corrupt-weights", ("predict", "{corrupt_run}"), "SHA-256"),
    Case("export-run-without-weights", ("export", "{queued_run}", "-o", "{out.npz}"), "has no final weights"),
    # environment
    Case("env-unreachable-postgres", ("sweeps",), "cannot open the store", {"MNISTQ_DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/x"}),
    Case("env-unsupported-database", ("sweeps",), "unsupported backend", {"MNISTQ_DATABASE_URL": "mysql://u:pw@h/db"}),
    Case("env-unreachable-broker", ("submit", "{good.toml}"), "cannot reach the broker", {"MNISTQ_BROKER_URL": "redis://127.0.0.1:1/0"}),
    Case("env-malformed-broker", ("retry", "1"), "MNISTQ_BROKER_URL", {"MNISTQ_BROKER_URL": "localhost:6379"}),
    Case("env-bad-lease", ("reap",), "MNISTQ_LEASE_SECONDS", {"MNISTQ_LEASE_SECONDS": "-5"}),
    Case("env-bad-resend", ("reap",), "MNISTQ_RESEND_SECONDS", {"MNISTQ_RESEND_SECONDS": "soon"}),
    Case("env-bad-max-grid", ("submit", "{good.toml}"), "MNISTQ_MAX_GRID", {"MNISTQ_MAX_GRID": "0"}),
    # every setting a local submit uses is checked before the sweep is stored
    Case("env-local-bad-checkpoint", ("submit", "{good.toml}"), "MNISTQ_CHECKPOINT_EVERY", {"MNISTQ_CHECKPOINT_EVERY": "-1"}),
    Case("env-local-zero-heartbeat", ("submit", "{good.toml}"), "MNISTQ_HEARTBEAT_SECONDS", {"MNISTQ_HEARTBEAT_SECONDS": "0"}),
    Case("env-local-bad-lease", ("submit", "{good.toml}"), "MNISTQ_LEASE_SECONDS", {"MNISTQ_LEASE_SECONDS": "soon"}),
    Case("env-local-bad-attempts", ("submit", "{good.toml}"), "MNISTQ_MAX_ATTEMPTS", {"MNISTQ_MAX_ATTEMPTS": "0"}),
    Case("env-local-bad-blas", ("submit", "{good.toml}"), "MNISTQ_BLAS_THREADS", {"MNISTQ_BLAS_THREADS": "abc"}),
    Case("env-retry-bad-checkpoint", ("retry", "1"), "MNISTQ_CHECKPOINT_EVERY", {"MNISTQ_CHECKPOINT_EVERY": "x"}),
    Case("env-data-dir-is-a-file", ("data", "describe", "--dataset", "digits"), "MNISTQ_DATA_DIR", {"MNISTQ_DATA_DIR": "{good.toml}"}),
    Case("env-database-port", ("sweeps",), "numeric port", {"MNISTQ_DATABASE_URL": "postgresql://u:pw@127.0.0.1:abc/x"}),
    Case("env-broker-typo-slash", ("submit", "{good.toml}"), "MNISTQ_BROKER_URL", {"MNISTQ_BROKER_URL": "redis:/:pw@127.0.0.1:6379/0"}),
    Case("env-broker-typo-colon", ("submit", "{good.toml}"), "MNISTQ_BROKER_URL", {"MNISTQ_BROKER_URL": "redis//:pw@127.0.0.1:6379/0"}),
    Case("env-broker-bare-password", ("retry", "1"), "MNISTQ_BROKER_URL", {"MNISTQ_BROKER_URL": "pw@127.0.0.1:6379"}),
    Case("env-celery-broker-disagrees", ("submit", "{good.toml}"), "CELERY_BROKER_URL", {"CELERY_BROKER_URL": "redis://:pw@127.0.0.1:6379/3"}),
    # ids beyond 64 bits, output paths that must not or cannot be written
    Case("show-id-beyond-64-bits", ("show", "99999999999999999999"), "expected a run id"),
    Case("status-id-beyond-64-bits", ("status", "18446744073709551616"), "expected a sweep id"),
    Case("predict-id-beyond-64-bits", ("predict", "9" * 30), "expected a run id"),
    Case("export-under-a-regular-file", ("export", "1", "-o", "{good.toml}/w.npz"), "is not a folder"),
    Case("export-into-proc", ("export", "1", "-o", "/proc/mnistq-w.npz"), "cannot write"),
    Case("export-onto-a-device", ("export", "1", "-o", "/dev/null"), "is a device"),
    Case("report-onto-a-device", ("report", "latest", "-o", "/dev/null"), "is a device"),
    # a long value is echoed clipped, not whole
    Case("spec-5000-character-name", ("submit", "{long-name.toml}"), "(5,002 characters)"),
]


# ----- the module's inputs: bad files and a populated store ------------------------------------------------


def _idx(array: np.ndarray, magic: int | None = None) -> bytes:
    magic = (0x08 << 8) | array.ndim if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def _idx_dir(root: Path, name: str, images: bytes, gz: bool = False) -> None:
    folder = root / name
    folder.mkdir()
    labels = _idx(np.arange(20) % 10)
    suffix = ".gz" if gz else ""
    pack = gzip.compress if gz else bytes
    (folder / f"train-images-idx3-ubyte{suffix}").write_bytes(pack(images))
    (folder / f"train-labels-idx1-ubyte{suffix}").write_bytes(pack(labels))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every bad file, plus the populated SQLite store: names for the {placeholders} of the cases."""
    root = tmp_path_factory.mktemp("bad-inputs")
    for name, text in {**SPECS, **CSVS, "good.toml": GOOD_SPEC}.items():
        (root / name).write_text(text)
    images = _idx(np.zeros((20, 4, 4)))
    _idx_dir(root, "idx-bad-magic", _idx(np.zeros((20, 4, 4)), magic=0x0803_0000))
    _idx_dir(root, "idx-truncated", images[: len(images) - 7])
    _idx_dir(root, "idx-truncated-gz", images, gz=True)
    gz = root / "idx-truncated-gz" / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:-12])
    names = {p.name: str(p) for p in root.iterdir()}
    for name, dataset in DATASET_SPECS.items():
        label = '\nlabel_column = "digit"' if "label-column" in name else ""
        (root / name).write_text(_spec(f'[fixed]\ndataset = "{_fill(dataset, names)}"{label}\nepochs = 2'))
        names[name] = str(root / name)
    names.update({n: str(root / n) for n in ("absent.csv", "absent-dir", "nothing-here.toml", "out.npz")})
    return {**names, **_populated_store(root)}


def _populated_store(root: Path) -> dict[str, str]:
    """Two trained runs (one with weights corrupted in place), two queued ones; the store's URL."""
    url = f"sqlite:///{root / 'store.db'}"
    engine = open_store(url, create=True)
    spec_path = root / "populated.toml"
    spec_path.write_text(GOOD_SPEC.replace("seed = [0, 1]", "seed = [0, 1, 2, 3]"))
    with session_scope(engine) as session:
        ids = [run_id for run_id, _ in store_sweep(session, load_spec(spec_path)).to_train]
    for run_id in ids[:2]:
        assert execute_run(run_id, engine=engine) == "completed"
    with session_scope(engine) as session:  # one flipped byte, the recorded SHA-256 kept
        artifact = session.execute(select(Artifact).where(Artifact.run_id == ids[1])).scalar_one()
        data = bytearray(artifact.data)
        data[len(data) // 2] ^= 0xFF
        session.execute(update(Artifact).where(Artifact.id == artifact.id).values(data=bytes(data)))
    return {"store": url, "corrupt_run": str(ids[1]), "queued_run": str(ids[3])}


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (bytes hashed)."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(hashlib.sha256(v).hexdigest() if isinstance(v, bytes) else v for v in row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, inputs: dict[str, str], tmp_path: Path) -> Iterator[None]:
    """Local mode on the populated store; no MNISTQ_* setting from the caller's environment leaks in."""
    for name in [n for n in os.environ if n.startswith("MNISTQ_") or n == "CELERY_BROKER_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MNISTQ_DATABASE_URL", inputs["store"])
    monkeypatch.setenv("MNISTQ_DATA_DIR", str(tmp_path / "data"))
    yield


def _fill(text: str, values: dict[str, str]) -> str:
    """`text` with each {name} replaced by values[name] (names contain dots, so no str.format)."""
    return re.sub(r"\{([^{}]+)\}", lambda m: values[m.group(1)], text)


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    case: Case, inputs: dict[str, str], monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, _fill(value, inputs))
    engine = open_store(inputs["store"], create=True)
    before = dump(engine)
    code, out, err = run_cli([_fill(arg, inputs) for arg in case.argv], capfd)
    assert (code, err.count("\n")) == (2, 1), err
    assert err.startswith("mnistq: error: ") and "Traceback" not in err and len(err) < 500
    assert case.error in err, err
    assert dump(engine) == before
    assert not Path(inputs["out.npz"]).exists()
    for secret in ("pw@", ":pw"):
        assert secret not in err


@pytest.fixture(scope="module")
def locked_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    """A Redis that wants a password (the shared one accepts any)."""
    server = PrivateRedis(tmp_path_factory.mktemp("locked-redis"), password="right-pw")
    server.start()
    yield server
    server.kill()


@pytest.mark.parametrize(
    "argv, env, error",
    [
        (("submit", "{good.toml}"), {"MNISTQ_BROKER_URL": "redis://127.0.0.1:1/0"}, "cannot reach the broker"),
        (("submit", "{good.toml}"), {"MNISTQ_BROKER_URL": "redis://:wrong-pw@{redis}"}, "invalid username-password"),
        (("retry", "latest"), {"MNISTQ_BROKER_URL": "redis://:wrong-pw@{redis}"}, "invalid username-password"),
        (("retry", "latest"), {"MNISTQ_BROKER_URL": "redis://{redis}"}, "Authentication required"),
        (("submit", "{good.toml}"), {"MNISTQ_DATABASE_URL": "{pg_unknown_user}"}, 'role "nobody_h7"'),
    ],
    ids=["unreachable-broker", "submit-wrong-redis-password", "retry-wrong-redis-password", "retry-no-redis-password",
         "unknown-pg-role"],
)
@pytest.mark.usefixtures("clean_env")
def test_environment_errors_leave_postgresql_untouched(
    argv: tuple[str, ...],
    env: dict[str, str],
    error: str,
    inputs: dict[str, str],
    pg_url: str,
    locked_redis: PrivateRedis,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Queue mode against a PostgreSQL store holding a sweep: a broken broker or login writes nothing."""
    engine = open_store(pg_url, create=True)
    with session_scope(engine) as session:
        store_sweep(session, load_spec(Path(inputs["good.toml"])))
    values = {
        **inputs,
        "redis": f"127.0.0.1:{locked_redis.port}/0",
        "pg_unknown_user": make_url(pg_url).set(username="nobody_h7", password="pw").render_as_string(False),
    }
    monkeypatch.setenv("MNISTQ_DATABASE_URL", pg_url)
    for name, value in env.items():
        monkeypatch.setenv(name, _fill(value, values))
    before = dump(engine)
    code, _, err = run_cli([_fill(arg, values) for arg in argv], capfd)
    assert (code, err.count("\n")) == (2, 1), err
    assert error in err and "Traceback" not in err and "wrong-pw" not in err
    assert dump(engine) == before


def test_the_table_is_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30 and len({c.id for c in CASES}) == len(CASES)


def test_the_dump_sees_any_change(inputs: dict[str, str], sqlite_url: str) -> None:
    engine = open_store(sqlite_url, create=True)
    empty = dump(engine)
    with session_scope(engine) as session:
        store_sweep(session, load_spec(Path(inputs["good.toml"])))
    changed = dump(engine)
    assert changed != empty and len(changed["runs"]) == 2
