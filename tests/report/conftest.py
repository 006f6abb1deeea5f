"""Real stored sweeps for the report tests: tiny networks really trained on `digits`, written to a real
store through the same queries the worker uses (create_sweep, claim_run, upsert_epoch, store_artifact,
finish_run), plus failed, diverged and cancelled runs."""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from threadpoolctl import threadpool_limits

from db import NewRun, dispose_engines, open_store, session_scope
from db.models import RUN_METRICS
from db.queries import claim_run, create_sweep, fail_run, finish_run, store_artifact, upsert_epoch
from model.config import TrainConfig
from model.data.prepare import prepare
from model.result import TrainResult
from model.train import train
from model.weights_io import weights_to_npz_bytes
from report.build import build_document
from report.html import render_html

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_ERROR = 'ValueError: bad pixel <img src=x onerror="alert(2)"> & | *stars*'
TINY = {"dataset": "digits", "hidden": [16], "epochs": 3, "batch_size": 32}
ENGINES = ("numpy", "sklearn")
RATES = (0.05, 0.2)
SEEDS = (0, 1)
WORKER = "test-worker"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # fixed clock: reports of equal stores are equal


@dataclass(frozen=True)
class Trained:
    config: TrainConfig
    result: TrainResult


@pytest.fixture(scope="session")
def trained() -> dict[tuple[str, float, int], Trained]:
    """(engine, learning_rate, seed) -> a tiny real model trained on digits: 2 x 2 x 2 = 8 runs, ~2 s."""
    out = {}
    with threadpool_limits(limits=1):
        for engine in ENGINES:
            for rate in RATES:
                for seed in SEEDS:
                    config = TrainConfig.from_dict(
                        {**TINY, "engine": engine, "learning_rate": rate, "seed": seed}
                    )
                    out[(engine, rate, seed)] = Trained(config, train(config, prepare(config)))
    return out


WHEN = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    url: str
    sweep_id: int
    html: str
    trained: dict[tuple[str, float, int], Trained]


@pytest.fixture(scope="session")
def page(tmp_path_factory: pytest.TempPathFactory, trained) -> Page:
    """The 8 trained runs plus a failed, a diverged and a cancelled one, in a sweep with a hostile name."""
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'store.db'}"
    sweep_id = store_sweep(open_store(url, create=True), list(trained.values()))
    with session_scope(open_store(url, create=True)) as session:
        text = render_html(build_document(session, sweep_id, generated_at=WHEN))
    yield Page(url, sweep_id, text, trained)
    dispose_engines()


def section(text: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', text, re.DOTALL)
    assert match, f"no section {section_id}"
    return match.group(1)


def rows(fragment: str) -> list[list[str]]:
    """The body rows of every table in `fragment`, as unescaped cell texts."""
    body = "".join(re.findall(r"<tbody>(.*?)</tbody>", fragment, re.DOTALL))
    return [
        [html.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Engine]:
    engine = open_store(sqlite_url, create=True)
    yield engine
    dispose_engines()


def store_sweep(
    engine: Engine,
    runs: Sequence[Trained],
    *,
    name: str = HOSTILE_NAME,
    failures: bool = True,
    config_changes: dict | None = None,
) -> int:
    """Store `runs` as completed runs of a new sweep (plus one failed, one diverged and one cancelled run
    when `failures`); returns the sweep id. `config_changes` are applied to the stored configs only."""
    changes = config_changes or {}
    configs = [{**t.config.to_dict(), **changes} for t in runs]
    extra = (
        [{**TINY, "engine": "numpy", "learning_rate": 0.5 + i / 10, "seed": 9} for i in range(3)]
        if failures
        else []
    )
    extra = [TrainConfig.from_dict(c).to_dict() for c in extra]
    spec = {"name": name, "fixed": TINY, "grid": {"engine": list(ENGINES), "learning_rate": list(RATES)}}
    with session_scope(engine) as session:
        created = create_sweep(session, name, spec, [_new_run(c) for c in configs + extra])
        ids = created.run_ids
        for i, (run_id, t) in enumerate(zip(ids, runs, strict=False)):
            _claim(session, run_id, i)
            for metrics in t.result.history:
                upsert_epoch(session, run_id, metrics.to_dict())
            store_artifact(session, run_id, "final", weights_to_npz_bytes(t.result.weights))
            finish_run(
                session,
                run_id,
                worker=WORKER,
                status=t.result.status,
                metrics=final_metrics(t.result),
                now=T0 + timedelta(seconds=10 * i + 5),
            )
        if failures:
            failed, diverged, cancelled = ids[len(runs) :]
            _claim(session, failed, 20)
            fail_run(session, failed, worker=WORKER, error=HOSTILE_ERROR, final=True, now=T0)
            _claim(session, diverged, 21)
            upsert_epoch(
                session,
                diverged,
                {
                    "epoch": 1,
                    "train_loss": float("inf"),
                    "train_acc": 0.1,
                    "val_loss": float("nan"),
                    "val_acc": 0.1,
                    "seconds": 0.01,
                },
            )
            finish_run(
                session,
                diverged,
                worker=WORKER,
                status="diverged",
                error="loss became inf in epoch 1",
                metrics={"train_loss": float("nan"), "train_seconds": 0.01},
                now=T0,
            )
            _claim(session, cancelled, 22)
            finish_run(
                session,
                cancelled,
                worker=WORKER,
                status="cancelled",
                error="cancel requested",
                metrics={"train_seconds": 0.0},
                now=T0,
            )
    return created.sweep.id


def final_metrics(result: TrainResult) -> dict:
    """The run columns finish_run stores, as the worker computes them from a TrainResult."""
    keys = (*RUN_METRICS, "best_epoch")
    return {key: getattr(result, key) for key in keys}


def _new_run(config: dict) -> NewRun:
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    return NewRun(engine=config["engine"], config=config, config_hash=digest)


def _claim(session, run_id: int, offset: int) -> None:
    claimed = claim_run(
        session,
        run_id,
        worker=WORKER,
        lease_seconds=600,
        max_attempts=3,
        now=T0 + timedelta(seconds=10 * offset),
    )
    assert claimed is not None


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def mnistq(monkeypatch: pytest.MonkeyPatch):
    """`mnistq(*args, url=...)`: the `mnistq` front door in-process against the store at `url`."""
    from scheduler import cli

    monkeypatch.setitem(cli.COMMANDS, "predict", ("report.cli", "predict", "Classify images or score a run."))

    def run(*args: str, url: str) -> Outcome:
        monkeypatch.setenv("MNISTQ_DATABASE_URL", url)
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main(list(args))
            except SystemExit as exc:
                code = int(exc.code or 0)
        return Outcome(code, out.getvalue(), err.getvalue())

    return run
