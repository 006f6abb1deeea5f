"""How long the report of a 1,000-run sweep takes and how large it is (target: <= 10 s, <= 5 MB).

    .venv/bin/python -m bench.report_scale [--runs 1000] [--top 10] [--keep DIR]

Populates a scratch SQLite store through the same queries the worker uses: a 1,000-run grid on mnist-5k
(2 engines x 5 widths x 5 learning rates x 4 batch sizes x 5 seeds), each completed run with a synthetic
20-50 epoch learning curve; about 4% of runs failed, diverged or cancelled; the five best runs carry real
weights (a small network trained on mnist-5k for 2 epochs), so the best-run section re-scores a real model.
Then builds the HTML report (and the Markdown one) and prints the figures: wall-clock and CPU seconds (the
report is single-threaded, so on a busy machine wall time exceeds CPU time), size, and seconds per step.
Populating is not timed.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from db import NewRun, dispose_engines, open_store, session_scope
from db.queries import claim_run, create_sweep, fail_run, finish_run, store_artifact, upsert_epoch
from model.config import TrainConfig
from model.data.prepare import prepare
from model.train import train
from model.weights_io import weights_to_npz_bytes
from report.build import build_document
from report.html import render_html
from report.markdown import write_markdown

GRID = {
    "engine": ["numpy", "sklearn"],
    "hidden": [[256, 128], [128, 64], [64], [128], [256, 128, 64]],
    "learning_rate": [0.005, 0.01, 0.02, 0.05, 0.1],
    "batch_size": [32, 64, 128, 256],
    "seed": [0, 1, 2, 3, 4],
}
FIXED = {"dataset": "mnist-5k", "epochs": 50}
REAL_WEIGHTS = 5
WORKER = "bench"


def grid_configs(n_runs: int) -> list[dict]:
    keys = sorted(GRID)
    points = [dict(zip(keys, values, strict=True)) for values in itertools.product(*(GRID[k] for k in keys))]
    return [TrainConfig.from_dict({**FIXED, **point}).to_dict() for point in points[:n_runs]]


def synthetic_curve(rng: np.random.Generator, final: float, epochs: int) -> list[dict]:
    """A learning curve that rises towards `final` (val) and overfits a little (train ends higher)."""
    rows = []
    for epoch in range(1, epochs + 1):
        progress = 1 - math.exp(-epoch / (epochs / 5))
        val = final * progress + 0.1 * (1 - progress) + rng.normal(0, 0.004)
        train_acc = min(1.0, val + 0.02 * epoch / epochs + rng.normal(0, 0.003))
        rows.append(
            {
                "epoch": epoch,
                "train_acc": train_acc,
                "val_acc": val,
                "train_loss": 2.3 * (1 - train_acc) + 0.02,
                "val_loss": 2.3 * (1 - val) + 0.05,
                "seconds": float(rng.uniform(0.1, 0.4)),
            }
        )
    return rows


def real_weights(n: int) -> list[bytes]:
    """`n` small real models trained on mnist-5k (2 epochs of a 64-unit network), as stored npz blobs."""
    blobs = []
    with threadpool_limits(limits=1):
        for seed in range(n):
            config = TrainConfig.from_dict({"dataset": "mnist-5k", "hidden": [64], "epochs": 2, "seed": seed})
            blobs.append(weights_to_npz_bytes(train(config, prepare(config)).weights))
    return blobs


def populate(url: str, n_runs: int) -> int:
    """Store the sweep; returns its id."""
    rng = np.random.default_rng(0)
    configs = grid_configs(n_runs)
    runs = [
        NewRun(c["engine"], c, hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest())
        for c in configs
    ]
    blobs = real_weights(REAL_WEIGHTS)
    engine = open_store(url, create=True)
    with session_scope(engine) as session:
        created = create_sweep(
            session, "scale-1000", {"name": "scale-1000", "fixed": FIXED, "grid": GRID}, runs
        )
        scores = {}
        for run_id, config in zip(created.run_ids, configs, strict=True):
            claim_run(session, run_id, worker=WORKER, lease_seconds=600, max_attempts=3)
            outcome = rng.random()
            if outcome < 0.02:
                fail_run(session, run_id, worker=WORKER, error="MemoryError: simulated", final=True)
                continue
            width = sum(config["hidden"])
            final = (
                0.80
                + 0.12 * math.tanh(width / 200)
                - 2.0 * (math.log10(config["learning_rate"]) + 1.7) ** 2 / 40
            )
            final = float(np.clip(final + rng.normal(0, 0.01), 0.1, 0.99))
            epochs = int(rng.integers(20, 51))
            curve = synthetic_curve(rng, final, epochs)
            for row in curve:
                upsert_epoch(session, run_id, row)
            status = "diverged" if outcome < 0.03 else "cancelled" if outcome < 0.04 else "completed"
            last = curve[-1]
            metrics = {
                "train_acc": last["train_acc"],
                "val_acc": last["val_acc"],
                "train_loss": last["train_loss"],
                "val_loss": last["val_loss"],
                "test_acc": last["val_acc"] - 0.005,
                "test_loss": last["val_loss"],
                "train_seconds": sum(r["seconds"] for r in curve),
                "best_epoch": epochs,
            }
            if status == "diverged":
                metrics = {"train_loss": float("nan"), "train_seconds": metrics["train_seconds"]}
            finish_run(
                session,
                run_id,
                worker=WORKER,
                status=status,
                metrics=metrics,
                error=None if status == "completed" else f"{status} (simulated)",
            )
            if status == "completed":
                scores[run_id] = metrics["val_acc"]
        best = sorted(scores, key=lambda i: (-scores[i], i))[:REAL_WEIGHTS]
        for run_id, blob in zip(best, blobs, strict=True):
            store_artifact(session, run_id, "final", blob)
    return created.sweep.id


class StepTimer:
    """The `advance` callback of build_document: seconds spent in each step."""

    def __init__(self) -> None:
        self.label = "reading the store"
        self.start = time.perf_counter()
        self.times: list[tuple[str, float]] = []

    def __call__(self, label: str) -> None:
        now = time.perf_counter()
        self.times.append((self.label, now - self.start))
        self.label, self.start = label, now

    def finish(self) -> list[tuple[str, float]]:
        self("")
        return self.times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--keep", type=Path, default=None, help="Write the reports into this folder.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(scratch) / 'scale.db'}"
        start = time.perf_counter()
        sweep_id = populate(url, args.runs)
        print(f"populated {args.runs} runs in {time.perf_counter() - start:.1f} s (not part of the figure)")
        steps = StepTimer()
        with session_scope(open_store(url, create=True)) as session:
            start, cpu = time.perf_counter(), time.process_time()
            document = build_document(session, sweep_id, top_k=args.top, advance=steps)
            html = render_html(document).encode("utf-8")
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        (out / "report.html").write_bytes(html)
        start = time.perf_counter()
        md_path = write_markdown(document, out / "report-md")
        md_seconds = time.perf_counter() - start
        md_bytes = sum(p.stat().st_size for p in md_path.parent.iterdir())
        print(
            f"html report: {seconds:.2f} s wall ({cpu:.2f} s CPU), {len(html) / 1e6:.2f} MB, {html.count(b'<img')} images "
            f"(targets: <= 10 s, <= 5 MB)"
        )
        print("  by step: " + ", ".join(f"{label} {t:.2f} s" for label, t in steps.finish()))
        print(
            f"markdown: +{md_seconds:.2f} s to write, {md_bytes / 1e6:.2f} MB in {len(list(md_path.parent.iterdir()))} files"
        )
        dispose_engines()


if __name__ == "__main__":
    main()
