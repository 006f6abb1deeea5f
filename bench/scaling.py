"""Horizontal scaling of the real queue: runs per minute with N worker processes of T BLAS threads each.

    .venv/bin/python -m bench.scaling [--workers 2 | --workers 1,2,4] [--runs N] [--epochs 40]
        [--redis-url redis://HOST:6379/7] [--pg-admin-url postgresql://postgres@HOST:5432/postgres]

Each configuration gets a scratch PostgreSQL database (dropped afterwards) and a flushed Redis database (the
`--redis-url` one is emptied, so do not point it at a queue in use); without the options, on servers this
process starts itself (bench/services.py). `mnistq db upgrade` runs, the workers
start, and once all of them are ready the fixed grid is submitted. The clock runs from `mnistq submit` until
the last run is stored as completed, so queueing, claiming, per-epoch writes and checkpoints all count.

The grid: `--runs` seeds (default 6 per worker of the widest configuration, at least 12) of the seed's network,
784-256-128-64-32-16-10, numpy engine, sgd lr 0.05, batch 64, `--epochs` epochs on mnist-5k: identical runs of a
few seconds each, so the queue's per-run overhead is small and the work divides evenly between workers.

Configurations, N x T meaning N separate `mnistq worker --concurrency 1` processes started with
MNISTQ_BLAS_THREADS=T (forced, whatever this shell sets): N x 1 for every N of `--workers` (a list, or a maximum
meaning 1..N), then 1 x max(N); then "2 x default": two separate `mnistq worker` processes started with
nothing set, as two workers (or containers) that share a host and cannot see each other would be: each takes
its defaults, one pool process per core with one BLAS thread each, so the host runs 2 x cores processes.

Scaling efficiency = (runs/min) / (C x runs/min of 1 x 1), where C = min(processes x threads, cores) is the
number of cores the configuration can keep busy; the target is >= 0.90 for 2 x 1 and for 2 x default on two
cores. "busy" is the share of the pool processes' wall time spent training (the rest: queue, database, idle),
so a low efficiency with high busy means slower training (CPU contention), not queue overhead. Other
processes' CPU load skews everything: the table shows the 1-minute load average around each row.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from bench import services
from db import open_store, session_scope
from db.queries import get_run, sweep_counts, sweep_run_ids

ROOT = Path(__file__).resolve().parents[1]
TARGET_EFFICIENCY = 0.90
SPEC = """name = "scaling-bench"
[fixed]
engine = "numpy"
dataset = "mnist-5k"
hidden = [256, 128, 64, 32, 16]
optimizer = "sgd"
learning_rate = 0.05
batch_size = 64
epochs = {epochs}
[grid]
seed = {seeds}
"""


CORES = os.cpu_count() or 1
SIZING = ("MNISTQ_WORKER_CONCURRENCY", "MNISTQ_BLAS_THREADS")


@dataclass(frozen=True)
class Layout:
    """`workers` separate `mnistq worker` processes: with `--concurrency 1` and `threads` BLAS threads forced,
    or (threads None) started with nothing set, each with its defaults."""

    workers: int
    threads: int | None  # BLAS threads per pool process; None: the worker's default

    @property
    def defaults(self) -> bool:
        return self.threads is None

    @property
    def pool(self) -> int:
        """Pool processes per worker: one per core by default."""
        return CORES if self.defaults else 1

    @property
    def processes(self) -> int:
        """Training processes on the host, all workers together."""
        return self.workers * self.pool

    @property
    def cores(self) -> int:
        """The cores this layout can keep busy."""
        return min(CORES, self.processes * (self.threads or 1))

    @property
    def label(self) -> str:
        return f"{self.workers} x default" if self.defaults else f"{self.workers} x {self.threads}"


@dataclass(frozen=True)
class Measurement:
    layout: Layout
    runs: int
    seconds: float  # wall clock from submit to the last run completed
    mean_train_seconds: float  # per run, as the workers recorded it
    load_before: float  # 1-minute load average
    load_after: float

    @property
    def runs_per_minute(self) -> float:
        return 60 * self.runs / self.seconds

    @property
    def busy(self) -> float:
        """Share of the pool processes' wall time spent training; the rest is queue, database and idle time."""
        return self.runs * self.mean_train_seconds / (self.layout.processes * self.seconds)


def parse_workers(text: str) -> list[int]:
    """`--workers`: "4" means 1, 2, 3, 4; "1,2,4" means exactly those (1 is always added: it is the baseline)."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers {text!r}: expected a number or a comma-separated list") from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError(f"--workers {text!r}: worker counts must be >= 1")
    counts = list(range(1, values[0] + 1)) if len(values) == 1 else values
    return sorted({1, *counts})


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new empty PostgreSQL database, dropped on exit; yields its SQLAlchemy URL."""
    name = f"mnistq_bench_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{dsn.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def empty_redis(url: str) -> Iterator[str]:
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def mnistq(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"mnistq {' '.join(args)} failed: {done.stderr.strip()}")
    return done


@contextmanager
def workers(layout: Layout, env: dict[str, str], logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`layout.workers` worker processes, ready to consume (yielded, for a caller that watches them die); every
    process group is ended on exit."""
    env = {key: value for key, value in env.items() if key not in SIZING}
    options: list[str] = []
    if not layout.defaults:
        env |= {"MNISTQ_BLAS_THREADS": str(layout.threads), "MNISTQ_WORKER_CONCURRENCY": "1"}
        options = ["-c", "1"]
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for i in range(layout.workers):
            log = logs / f"worker{i}.log"
            with log.open("wb") as out:
                argv = [sys.executable, "-m", "scheduler.cli", "worker", *options, "-n", f"bench{i}@%h"]
                started.append((subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                                 start_new_session=True), log))
        deadline = time.monotonic() + 120
        while not all(b"ready." in log.read_bytes() for _, log in started):
            if time.monotonic() > deadline or any(p.poll() is not None for p, _ in started):
                tail = started[0][1].read_text(errors="replace")[-2000:]
                sys.exit(f"workers did not start; the first one's log ends:\n{tail}")
            time.sleep(0.2)
        check_sizes(layout, [log for _, log in started])
        yield [process for process, _ in started]
    finally:
        for process, _ in started:
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process, _ in started:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


def check_sizes(layout: Layout, logs: list[Path]) -> None:
    """Stop unless every worker runs the pool and BLAS threads the layout says (read from its own log)."""
    threads = layout.threads or 1
    for log in logs:
        deadline = time.monotonic() + 60
        while len(reported := re.findall(r"pool process \d+: (\d+) BLAS thread", log.read_text())) < layout.pool:
            if time.monotonic() > deadline:
                sys.exit(f"{log.name}: {len(reported)} of {layout.pool} pool processes reported their BLAS threads")
            time.sleep(0.2)
        pool = re.findall(r"concurrency: (\d+) \(prefork\)", log.read_text())
        if pool != [str(layout.pool)] or set(reported) != {str(threads)}:
            sys.exit(f"{log.name}: expected {layout.pool} pool processes of {threads} BLAS threads, got "
                     f"{pool} processes of {sorted(set(reported))} threads")


def wait_for_sweep(database_url: str, sweep_id: int, timeout: float) -> float:
    """Poll the store until every run of the sweep finished; returns the mean training seconds per run."""
    engine, deadline = open_store(database_url, create=True), time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(engine) as session:
            counts = sweep_counts(session, sweep_id)
        if counts.queued == counts.running == 0:
            if counts.completed != counts.total:
                with session_scope(engine) as session:
                    errors = {get_run(session, run_id).error for run_id in sweep_run_ids(session, sweep_id)}
                sys.exit(f"sweep {sweep_id}: only {counts.completed} of {counts.total} runs completed "
                         f"({dict(counts.by_status)}; errors: {sorted(str(e) for e in errors if e)})")
            return counts.mean_train_seconds or 0.0
        time.sleep(0.1)
    sys.exit(f"sweep {sweep_id} did not finish within {timeout:.0f} s")


def measure(layout: Layout, spec: Path, args: argparse.Namespace, scratch: Path) -> Measurement:
    with ExitStack() as stack:
        database_url = stack.enter_context(scratch_database(args.pg_admin_url))
        broker_url = stack.enter_context(empty_redis(args.redis_url))
        env = {**os.environ, "MNISTQ_DATABASE_URL": database_url, "MNISTQ_BROKER_URL": broker_url}
        mnistq("db", "upgrade", env=env)
        stack.enter_context(workers(layout, env, scratch))
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        sweep_id = json.loads(mnistq("submit", str(spec), "--json", env=env).stdout)["sweep_id"]
        mean_train = wait_for_sweep(database_url, sweep_id, args.timeout)
        seconds = time.perf_counter() - start
        return Measurement(layout, args.runs, seconds, mean_train, load_before, os.getloadavg()[0])


def efficiency(row: Measurement, baseline: Measurement) -> float:
    return row.runs_per_minute / (row.layout.cores * baseline.runs_per_minute)


def print_table(rows: list[Measurement]) -> None:
    baseline = rows[0]
    print(f"\n{'workers x threads':<18}{'procs':>6}{'runs':>5}{'wall s':>9}{'runs/min':>10}{'train s/run':>13}"
          f"{'busy':>7}{'efficiency':>12}{'load 1m':>14}")
    for row in rows:
        print(f"{row.layout.label:<18}{row.layout.processes:>6}{row.runs:>5}{row.seconds:>9.1f}"
              f"{row.runs_per_minute:>10.2f}{row.mean_train_seconds:>13.2f}{row.busy:>7.0%}"
              f"{efficiency(row, baseline):>12.2f}{row.load_before:>7.2f}->{row.load_after:<5.2f}")
    print(f"(procs: training processes on the host; default: {CORES} pool processes of 1 BLAS thread per worker)")
    for label in ("2 x 1", "2 x default"):
        row = next((r for r in rows if r.layout.label == label), None)
        if row is not None:
            value = efficiency(row, baseline)
            verdict = "met" if value >= TARGET_EFFICIENCY else "NOT met"
            print(f"{label} efficiency {value:.2f} (target >= {TARGET_EFFICIENCY:.2f} on 2 cores: {verdict})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=parse_workers, default=[1, 2], help="a maximum (1..N) or a list")
    parser.add_argument("--runs", type=int, default=None, help="runs in the grid (default max(12, 6 x workers))")
    parser.add_argument("--epochs", type=int, default=40, help="epochs per run (about 0.1 s each per core)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per configuration")
    parser.add_argument("--redis-url", default=None,
                        help="a Redis db to use (flushed); default $MNISTQ_BENCH_REDIS_URL, else a private server")
    parser.add_argument("--pg-admin-url", default=None, help="PostgreSQL URL of a user allowed to create databases; "
                        "default $MNISTQ_BENCH_PG_ADMIN_URL, else a private server")
    args = parser.parse_args(argv)
    args.redis_url = args.redis_url or services.redis_url()
    args.pg_admin_url = args.pg_admin_url or services.pg_admin_url()
    widest = max(args.workers)
    args.runs = args.runs or max(12, 6 * widest)
    layouts = [Layout(n, 1) for n in args.workers]
    if widest > 1:
        layouts.append(Layout(1, widest))  # the same cores as threads of one process
    layouts.append(Layout(2, None))  # two workers sharing the host, each with its defaults
    print(f"{args.runs} runs of 784-256-128-64-32-16-10 x {args.epochs} epochs on mnist-5k per configuration; "
          f"{CORES} cores; load average {os.getloadavg()[0]:.2f}")
    if any(layout.processes * (layout.threads or 1) > CORES for layout in layouts):
        print(f"note: configurations wider than {CORES} cores oversubscribe the CPUs")
    with tempfile.TemporaryDirectory(prefix="mnistq-scaling-") as tmp:
        spec = Path(tmp) / "scaling.toml"
        spec.write_text(SPEC.format(epochs=args.epochs, seeds=list(range(args.runs))))
        rows = []
        for layout in layouts:
            rows.append(measure(layout, spec, args, Path(tmp)))
            print(f"  {layout.label}: {rows[-1].runs_per_minute:.2f} runs/min", flush=True)
    print_table(rows)


if __name__ == "__main__":
    main()
