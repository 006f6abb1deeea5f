"""Sweeps through the queue against scikit-learn's usual way of running a grid, in the same run.

    .venv/bin/python -m bench.sweep [--workers 2] [--skip-g24] [--skip-submit]

G24: 24 numpy configs (hidden {[128,64,64,32,32], [256,128,64,32,16]} × learning_rate {0.01, 0.05, 0.1} ×
batch_size {32, 128} × seed {0, 1}; momentum 0.9, l2 1e-4, 10 epochs) on mnist-5k with 4,000 training and
1,000 held-out images (val_fraction 0, test_fraction 0.2: the 1,000 images a grid search would validate on are
held out as the test split, which every mnistq run has, and both sides score them once at the end). Timed end to end through the real
queue: `mnistq submit` to Redis, 2 `mnistq worker` processes of 1 BLAS thread each, runs, epochs and weights stored in a scratch
PostgreSQL database. The anchor: the same 24 configs as scikit-learn MLPClassifier (solver sgd, momentum 0.9,
alpha = l2 × batch, 10 epochs) in a joblib loop with n_jobs=2, one BLAS thread each, on the same 4,000 images.
Target: the queue ≥ 2.5× faster, and queue + database + weights overhead ≤ 2% of each run's training time.

Submit: a 10,000-config grid validated, stored (sweep, runs, membership) in PostgreSQL and sent to Redis; nothing
consumes it. Target ≤ 5 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis

from bench import services
from model.config import TrainConfig
from model.data.types import PreparedData

ROOT = Path(__file__).resolve().parents[1]

G24 = """
name = "G24"
[fixed]
engine = "numpy"
dataset = "mnist-5k"
optimizer = "momentum"
momentum = 0.9
l2 = 1e-4
epochs = 10
val_fraction = 0.0
test_fraction = 0.2
[grid]
hidden = [[128, 64, 64, 32, 32], [256, 128, 64, 32, 16]]
learning_rate = [0.01, 0.05, 0.1]
batch_size = [32, 128]
seed = [0, 1]
"""

SUBMIT_10K = """
name = "submit-10k"
[fixed]
dataset = "digits"
epochs = 1
hidden = [16]
[grid]
learning_rate = [{rates}]
seed = [{seeds}]
"""


class Scratch:
    """A PostgreSQL database and a Redis db number of the benchmark's own, removed afterwards."""

    def __enter__(self) -> Scratch:
        self.name = f"mnistq_bench_{uuid.uuid4().hex[:10]}"
        self.admin = services.pg_admin_url().replace("postgresql+psycopg://", "postgresql://", 1)
        self.redis = services.redis_url()
        with psycopg.connect(self.admin, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        base = services.pg_admin_url().rsplit("/", 1)[0]
        self.env = {**os.environ, "MNISTQ_DATABASE_URL": f"{base}/{self.name}", "MNISTQ_BROKER_URL": self.redis}
        redis.Redis.from_url(self.redis).flushdb()
        return self

    def __exit__(self, *exc: object) -> None:
        redis.Redis.from_url(self.redis).flushdb()
        with psycopg.connect(self.admin, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def mnistq(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "scheduler.cli", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"mnistq {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def queue_g24(workers: int) -> tuple[float, list[tuple[float, float, bool]]]:
    """Wall seconds for G24 through the queue, and per run (training seconds, worker-side seconds, whether it
    was its worker process's first run, which also prepares the dataset)."""
    with Scratch() as scratch, tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "g24.toml"
        spec.write_text(G24)
        env = {**scratch.env, "MNISTQ_BLAS_THREADS": "1", "MNISTQ_CHECKPOINT_EVERY": "0"}
        mnistq("db", "upgrade", env=env)
        logs = [Path(tmp) / f"w{i}.log" for i in range(workers)]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "scheduler.cli", "worker", "-c", "1", "-n", f"bench{i}@%h", "-l", "WARNING"],
                env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
            )
            for i, log in enumerate(logs)
        ]
        try:
            _wait_for_workers(env, workers)
            start = time.perf_counter()
            mnistq("submit", str(spec), "--wait", env=env)
            wall = time.perf_counter() - start
            per_run = _per_run_seconds(env["MNISTQ_DATABASE_URL"])
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                proc.wait()
    return wall, per_run


def _wait_for_workers(env: dict[str, str], workers: int, timeout: float = 60) -> None:
    """Until `celery inspect ping` answers for every worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ping = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "worker.celery_app", "inspect", "ping", "--timeout", "2"],
            env=env, capture_output=True, text=True,
        )
        if ping.stdout.count("pong") >= workers:
            return
        time.sleep(0.5)
    raise SystemExit("workers did not start")


def _per_run_seconds(database_url: str) -> list[tuple[float, float, bool]]:
    from db import open_store, session_scope
    from db.queries import list_runs

    with session_scope(open_store(database_url, create=True)) as session:
        runs = list_runs(session)
    assert all(r.status in ("completed", "diverged") for r in runs), [(r.id, r.status, r.error) for r in runs]
    diverged = sum(1 for r in runs if r.status == "diverged")
    print(f"queue: {len(runs) - diverged} completed, {diverged} diverged (a status; the sweep goes on)")
    first_of = {}
    for r in sorted(runs, key=lambda r: r.started_at):
        first_of.setdefault(r.worker, r.id)
    return [
        (r.train_seconds or 0.0, (r.finished_at - r.started_at).total_seconds(), first_of[r.worker] == r.id)
        for r in runs
    ]


def g24_configs_and_data() -> tuple[list[TrainConfig], PreparedData]:
    """G24's 24 configs, and the split they all train on (the seed only changes init and shuffling here)."""
    import tomllib

    from model.data.prepare import prepare
    from scheduler.spec import expand

    configs = expand(tomllib.loads(G24), "G24")
    return configs, prepare(TrainConfig.from_dict({**configs[0].to_dict(), "seed": 0}))


def sklearn_g24(configs: list[TrainConfig], data: PreparedData, n_jobs: int) -> float:
    """Wall seconds for the same 24 configs as MLPClassifier in a joblib loop."""
    from joblib import Parallel, delayed

    start = time.perf_counter()
    scores = Parallel(n_jobs=n_jobs, backend="loky")(
        delayed(_fit_sklearn)(c.to_dict(), data.train.x, data.train.y, data.test.x, data.test.y) for c in configs
    )
    wall = time.perf_counter() - start
    diverged = sum(1 for score in scores if score != score)
    print(f"sklearn: {len(scores) - diverged} fitted, {diverged} diverged (caught, as GridSearchCV's error_score does)")
    return wall


def _fit_sklearn(config: dict, x, y, x_test, y_test) -> float:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(
            hidden_layer_sizes=tuple(config["hidden"]), solver="sgd", momentum=config["momentum"],
            learning_rate_init=config["learning_rate"], batch_size=config["batch_size"],
            alpha=config["l2"] * config["batch_size"], max_iter=config["epochs"], random_state=config["seed"],
            tol=0.0, n_iter_no_change=10**9,
        )
        try:
            clf.fit(x, y)
        except ValueError:  # "Solver produced non-finite parameter weights": a diverged config
            return float("nan")
        return float(clf.score(x_test, y_test))


def g24_floor_seconds(configs: list[TrainConfig], data: PreparedData) -> float:
    """Single-thread seconds that the matrix products of all 24 G24 trainings take at their shapes (10 epochs
    each, `bench.train_throughput.gemm_floor`): no engine that computes them can train G24 in less than this
    divided by the number of workers."""
    from threadpoolctl import threadpool_limits

    from bench.train_throughput import Shape, gemm_floor

    total = 0.0
    with threadpool_limits(1):
        for config in configs:
            epoch = gemm_floor(Shape("G24", tuple(config.hidden), config.batch_size), data)
            epoch()  # warm-up
            start = time.perf_counter()
            for _ in range(config.epochs):
                epoch()
            total += time.perf_counter() - start
    return total


def submit_10k() -> tuple[float, float]:
    """(validate + store + send seconds in-process, whole `mnistq submit` command seconds) for 10,000 configs."""
    from db import open_store, session_scope
    from scheduler.queue import enqueue, make_sender
    from scheduler.spec import load_spec
    from scheduler.submit import store_sweep

    rates = ", ".join(f"{0.001 * (i + 1):.3f}" for i in range(100))
    seeds = ", ".join(str(s) for s in range(100))
    text = SUBMIT_10K.format(rates=rates, seeds=seeds)
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "big.toml"
        spec_path.write_text(text)
        with Scratch() as scratch:
            engine = open_store(scratch.env["MNISTQ_DATABASE_URL"], create=True)
            start = time.perf_counter()
            spec = load_spec(spec_path)
            with session_scope(engine) as session:
                submitted = store_sweep(session, spec)
            sent = enqueue(make_sender(scratch.redis), submitted.to_train)
            in_process = time.perf_counter() - start
            engine.dispose()
            assert sent == 10_000 == redis.Redis.from_url(scratch.redis).llen("numpy")
        with Scratch() as scratch:
            mnistq("db", "upgrade", env=scratch.env)
            start = time.perf_counter()
            mnistq("submit", str(spec_path), env=scratch.env)
            command = time.perf_counter() - start
    return in_process, command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes (1 BLAS thread each)")
    parser.add_argument("--skip-g24", action="store_true")
    parser.add_argument("--skip-submit", action="store_true")
    args = parser.parse_args()
    print(f"# bench.sweep  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {os.cpu_count()} cores  "
          f"load {os.getloadavg()[0]:.2f}")
    if not args.skip_g24:
        configs, data = g24_configs_and_data()
        sk = sklearn_g24(configs, data, args.workers)
        wall, per_run = queue_g24(args.workers)
        overhead = [(worker - train) / train for train, worker, _ in per_run if train > 0]
        warm = [(worker - train) / train for train, worker, first in per_run if train > 0 and not first]
        print(f"G24 through the queue ({args.workers} workers x 1 thread): {wall:7.1f} s")
        print(f"G24 sklearn MLPClassifier, joblib n_jobs={args.workers}:      {sk:7.1f} s")
        print(f"speed-up: {sk / wall:.2f}x (target >= 2.5x)")
        floor = g24_floor_seconds(configs, data)
        print(
            f"ceiling: the products alone take {floor:.1f} s on 1 thread, so no engine beats "
            f"{floor / args.workers:.1f} s on {args.workers} workers: at most {sk / (floor / args.workers):.2f}x "
            f"sklearn; the queue reached {floor / args.workers / wall:.0%} of that bound"
        )
        print(
            f"per-run overhead (worker time - training time) / training time: median "
            f"{100 * statistics.median(overhead):.2f}%, max {100 * max(overhead):.2f}% (target <= 2%)"
        )
        print(
            f"  leaving out each worker process's first run (which prepares the dataset): max {100 * max(warm):.2f}%"
        )
    if not args.skip_submit:
        in_process, command = submit_10k()
        print(f"submit 10,000 configs (validate, store in PostgreSQL, send to Redis): {in_process:.2f} s "
              f"in-process, {command:.2f} s as `mnistq submit` (target <= 5 s)")


if __name__ == "__main__":
    main()
