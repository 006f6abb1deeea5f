"""The README's examples run: it cannot drift from the tool.

- `sh` blocks run top to bottom in one scratch folder against a private store, each command in its own shell,
  with the README's placeholders filled in (RUN, SWEEP, queue-host, db-host, PASSWORD, digit.png). Every
  command must exit 0; the outputs that matter are checked below (CHECKS). `export` lines set the
  environment of the commands after them; `mnistq worker` and `mnistq scheduler` start as services for the
  rest of their block.
- `<!-- readme: queue -->` blocks run in queue mode, against a real Redis and PostgreSQL.
- `toml` and `json` blocks are grid specs: they are loaded and validated.
- `<!-- readme: not run: WHY; checked by WHAT -->` blocks cannot run here (a download, Docker, `make test`
  itself); WHAT must name the test or target that checks them instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from db import open_store, session_scope
from db.queries import list_runs, list_sweeps
from scheduler.spec import load_spec

from ..queue.helpers import stop
from .readme_blocks import ROOT, Block, command_words, read_blocks

BLOCKS = read_blocks()
SHELL = [b for b in BLOCKS if b.lang == "sh" and not b.not_run]
SPECS = [b for b in BLOCKS if b.lang in ("toml", "json")]
SERVICES = ("mnistq worker", "mnistq scheduler")
COMMAND_TIMEOUT_S = 900  # a whole sweep on a busy machine; nothing here waits for a time, only for exits


@dataclass
class Scratch:
    """The folder the README's commands run in, their environment, and the services started by a block."""

    folder: Path
    env: dict[str, str]
    services: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def store_url(self) -> str:
        return self.env["MNISTQ_DATABASE_URL"]

    def fill(self, command: str) -> str:
        """The command with the README's placeholders replaced by real ids and addresses."""
        if re.search(r"\b(RUN|SWEEP)\b", command):
            with session_scope(open_store(self.store_url())) as session:
                sweep = list_sweeps(session, limit=1)[0].id
                run = list_runs(session, sweep_id=sweep, where="status = 'completed'", order_by="id", limit=1)[0].id
            command = re.sub(r"\bSWEEP\b", str(sweep), re.sub(r"\bRUN\b", str(run), command))
        return command


def _digit_png(path: Path) -> None:
    """A real MNIST test digit, white on black, 28x28, as predict expects by default."""
    from model.data.builtin import LOADERS

    raw = LOADERS["mnist-5k"]()
    Image.fromarray(np.asarray(raw.x[-1], dtype=np.uint8).reshape(raw.image_shape), mode="L").save(path)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scratch]:
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "examples", folder / "examples")
    _digit_png(folder / "digit.png")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MNISTQ_") and k != "CELERY_BROKER_URL"}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        MNISTQ_DATABASE_URL=f"sqlite:///{folder / 'mnistq.db'}",
        MNISTQ_DATA_DIR=str(folder / "data"),
        COLUMNS="80",
    )
    yield Scratch(folder, env)


@dataclass(frozen=True)
class Ran:
    command: str
    code: int
    out: str
    err: str


def _run_block(block: Block, scratch: Scratch, env: dict[str, str]) -> list[Ran]:
    results = []
    try:
        for written in block.commands():
            command = scratch.fill(written)
            words = command_words(command)
            if words and words[0] == "export":
                name, _, value = words[1].partition("=")
                env[name] = value
                continue
            if any(command.startswith(service) for service in SERVICES):
                log = (scratch.folder / f"service-{len(scratch.services)}.log").open("wb")
                scratch.services.append(
                    subprocess.Popen(["bash", "-c", command], cwd=scratch.folder, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
                )
                continue
            done = subprocess.run(["bash", "-c", command], cwd=scratch.folder, env=env, capture_output=True,
                                  text=True, timeout=COMMAND_TIMEOUT_S)
            ran = Ran(written, done.returncode, done.stdout, done.stderr)
            results.append(ran)
            assert ran.code == 0, f"README line `{written}` exited {ran.code}:\n{ran.err[-3000:]}"
            for pattern, check in CHECKS:
                if re.search(pattern, written):
                    check(ran, scratch.folder)
    finally:
        for service in scratch.services:
            stop(service)
        scratch.services.clear()
    return results


# ----- what the outputs must show --------------------------------------------------------------------------


def _json_object(ran: Ran, folder: Path) -> None:
    import json

    summary = json.loads((folder / "run.json").read_text())
    assert summary["status"] == "completed" and summary["engine"] == "sklearn"


def _csv(ran: Ran, folder: Path) -> None:
    header = (folder / "runs.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["id", "sweep_id", "engine", "status"]


def _weights(ran: Ran, folder: Path) -> None:
    with np.load(folder / "weights.npz", allow_pickle=False) as weights:
        assert {"W1", "b1", "norm_mean", "norm_std"} <= set(weights.files)


def _prediction(ran: Ran, folder: Path) -> None:
    assert re.fullmatch(r"digit\.png: \d \(probability [01]\.\d{3}\)\n", ran.out), ran.out


def _report(ran: Ran, folder: Path) -> None:
    assert (folder / "report.html").stat().st_size > 10_000 or (folder / "report-md" / "report.md").exists()


def _submitted(ran: Ran, folder: Path) -> None:
    assert re.search(r"sweep \d+ \(\S+\): \d+ runs", ran.out + ran.err), ran.err


CHECKS: list[tuple[str, Callable[[Ran, Path], None]]] = [
    (r"--json > run\.json", _json_object),
    (r"> runs\.csv", _csv),
    (r"-o weights\.npz", _weights),
    (r"predict RUN digit\.png", _prediction),
    (r"mnistq report", _report),
    (r"mnistq submit", _submitted),
]


# ----- the tests -------------------------------------------------------------------------------------------


def test_the_readme_has_runnable_blocks_and_every_skip_says_what_checks_it_instead() -> None:
    assert len(SHELL) >= 3 and SPECS
    for block in BLOCKS:
        if block.not_run:
            found = re.fullmatch(r"not run: (?P<why>.+); checked by (?P<what>.+)", block.mark or "")
            assert found, f"README line {block.line}: a not-run mark says why and what checks the block"
            for path in re.findall(r"tests/[\w/.]+\.py", found.group("what")):
                assert (ROOT / path).exists(), f"README line {block.line}: {path} does not exist"


@pytest.mark.parametrize("block", [b for b in SHELL if not b.queue_mode], ids=lambda b: b.id)
def test_a_local_mode_block_runs(block: Block, scratch: Scratch) -> None:
    results = _run_block(block, scratch, dict(scratch.env))
    assert results or scratch.services == []


@pytest.mark.parametrize("block", [b for b in SHELL if b.queue_mode], ids=lambda b: b.id)
def test_a_queue_mode_block_runs_on_real_redis_postgresql_and_workers(
    block: Block, scratch: Scratch, redis_url: str, pg_url: str
) -> None:
    env = dict(scratch.env)
    text = block.text.replace("redis://queue-host:6379/0", redis_url)
    text = re.sub(r"postgresql\+psycopg://mnistq:PASSWORD@db-host:5432/mnistq", pg_url, text)
    queue_block = Block(block.lang, text, block.line, block.heading, block.mark)
    results = _run_block(queue_block, Scratch(scratch.folder, env), env)
    assert any(r.command.startswith("mnistq submit") for r in results)
    with session_scope(open_store(pg_url)) as session:
        runs = list_runs(session)
    assert runs and {r.status for r in runs} == {"completed"}


@pytest.mark.parametrize("block", SPECS, ids=lambda b: b.id)
def test_a_spec_block_loads_and_validates(block: Block, tmp_path: Path) -> None:
    path = tmp_path / f"readme-spec.{block.lang}"
    path.write_text(block.text)
    spec = load_spec(path)
    assert spec.configs
