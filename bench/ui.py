"""The live dashboard (`mnistq ui`) over a store in service: 10,000 runs x 50 epochs, 8 of them running.

    .venv/bin/python -m bench.ui [--runs 10000] [--epochs 50] [--backend sqlite|postgresql|both] [--loads 5]
                                 [--polls 1000]

For each backend, a scratch store seeded by bench/ui_store.py (and settled as bench/db_queries.py does), served
by the real `mnistq ui --port 0` in a subprocess:

1. sweep page load in headless Chromium (bench/ui_browser.py), navigation start until the page marks
   `mnistq:drawn` (leaderboard, curves, effects and pairs drawn): cold, a fresh browser context (target <= 2 s),
   and cached, reloaded in the same context so the chart library comes from the cache (target <= 1 s); medians
   of --loads. The sweeps page `/` until its load event, no target;
2. the live-update endpoint: while a writer process stores epochs of the running runs as workers do
   (heartbeat + upsert_epoch, one transaction each, WRITES_PER_S a second in all), --polls GETs of
   /api/sweeps/ID/changes?since=CURSOR&seen=VERSION, each from the previous answer, POLL_GAP_S apart
   (the page waits 1.5 s; closer polls keep the run short): p50/p95/max, target p95 <= 50 ms. Then leaderboard
   pages /api/sweeps/ID/runs?page=N, default order and a filter, p95 (target <= 50 ms);
3. the server's memory: VmRSS of the `mnistq ui` process after 100 and after --polls polls (target: growth
   <= 5 %, no leak);
4. anchor: `mnistq report` of the same sweep (bench/ui_store.py's time_report), over the cold page load.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from bench.db_queries import FILTER, scratch_database, settle
from bench.ui_browser import chromium_binary, measure_loads
from bench.ui_store import seed_store, time_report
from db import dispose_engines, open_store, session_scope
from db.models import EpochMetric, Run
from db.queries import heartbeat, upsert_epoch
from db.status import RUNNING

TARGETS_MS = {"cold": 2000.0, "cached": 1000.0, "changes p95": 50.0, "runs p95": 50.0}
MAX_GROWTH = 0.05  # RSS growth allowed between 100 and all polls
WRITES_PER_S = 5.0  # epochs stored per second over all running runs: 8 runs, an epoch every 1.6 s each
POLL_GAP_S = 0.1
RUNS_REQUESTS = 200
SERVING = re.compile(r"serving the store at (http://\S+/)")
INITIAL = re.compile(r'<script id="initial" type="application/json">(.*?)</script>', re.S)


@dataclass(frozen=True)
class Polls:
    all_ms: list[float]  # every poll's latency
    busy_ms: list[float]  # the polls that returned changes (each asks for a new summary in the background)
    rss_kib: tuple[int, int]  # server VmRSS after 100 polls, after all of them
    epochs_seen: int  # epochs the answers carried, over all polls
    reloads: int  # answers asking for a reload (too much changed)


def verdict(value: float, target: float) -> str:
    return f"{value / target:.2f}x of target {'✓' if value <= target else '✗ MISSED'}"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


@contextmanager
def served(url: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`mnistq ui --port 0` on the store at `url`: (its process, its base URL ending in /)."""
    mnistq = Path(sys.executable).with_name("mnistq")
    env = {**os.environ, "MNISTQ_DATABASE_URL": url}
    env.pop("MNISTQ_UI_TOKEN", None)
    process = subprocess.Popen([str(mnistq), "ui", "--host", "127.0.0.1", "--port", "0"], env=env,
                               stderr=subprocess.PIPE, text=True)
    try:
        base = None
        for line in process.stderr:  # type: ignore[union-attr]
            found = SERVING.search(line)
            if found:
                base = found.group(1)
                break
        if base is None:
            raise RuntimeError(f"mnistq ui exited {process.wait()} before serving")
        # keep draining stderr so a chatty server never blocks on a full pipe
        threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()  # type: ignore[union-attr]
        yield process, base
    finally:
        process.terminate()
        process.wait(timeout=30)


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def write_epochs(url: str, epochs: int, stop: multiprocessing.synchronize.Event) -> None:
    """Store epochs of the running runs, WRITES_PER_S a second, round robin, until `stop` is set: heartbeat +
    upsert_epoch in one transaction, as a worker does each epoch. A run at its last epoch starts over at 1
    (a rewritten row is stamped as a new one)."""
    engine = open_store(url)
    with session_scope(engine) as session:
        running = session.query(Run.id, Run.worker).filter(Run.status == RUNNING).order_by(Run.id).all()
        done = {run_id: session.query(EpochMetric).filter(EpochMetric.run_id == run_id).count()
                for run_id, _ in running}
    rng = random.Random(0)
    step, i = 1.0 / WRITES_PER_S, 0
    next_at = time.monotonic()
    while running and not stop.is_set():
        run_id, worker = running[i % len(running)]
        epoch = done[run_id] % epochs + 1
        acc = min(0.99, 0.5 + 0.01 * epoch + rng.uniform(-0.01, 0.01))
        with session_scope(engine) as session:
            heartbeat(session, run_id, worker)
            upsert_epoch(session, run_id, {"epoch": epoch, "train_loss": 2.3 * (1 - acc), "train_acc": acc,
                                           "val_loss": 2.3 * (1 - acc) + 0.05, "val_acc": acc - 0.01,
                                           "seconds": 0.4})
        done[run_id] = epoch
        i += 1
        next_at += step
        stop.wait(max(0.0, next_at - time.monotonic()))
    dispose_engines()


def poll_changes(client: httpx.Client, base: str, sweep_id: int, pid: int, polls: int) -> Polls:
    """`polls` GETs of the changes endpoint, each from the cursor the previous answer gave."""
    page = client.get(f"{base}sweeps/{sweep_id}")
    page.raise_for_status()
    initial = json.loads(INITIAL.search(page.text).group(1))  # type: ignore[union-attr]
    cursor, seen = initial["cursor"], initial["seen"]
    all_ms, busy_ms, rss_100, epochs_seen, reloads = [], [], 0, 0, 0
    for n in range(1, polls + 1):
        started = time.perf_counter()
        answer = client.get(f"{base}api/sweeps/{sweep_id}/changes", params={"since": cursor, "seen": seen})
        answer.raise_for_status()
        body = answer.json()
        elapsed = (time.perf_counter() - started) * 1000
        all_ms.append(elapsed)
        if body["runs"] or body["epochs"]:
            busy_ms.append(elapsed)
        epochs_seen += len(body["epochs"])
        reloads += bool(body["reload"])
        cursor, seen = body["cursor"], body["seen"]
        if n == 100:
            rss_100 = vm_rss_kib(pid)
        time.sleep(POLL_GAP_S)
    return Polls(all_ms, busy_ms, (rss_100, vm_rss_kib(pid)), epochs_seen, reloads)


def time_runs_pages(client: httpx.Client, base: str, sweep_id: int, where: str | None) -> list[float]:
    """RUNS_REQUESTS leaderboard pages at random page numbers (default order), under `where` if given."""
    params: dict[str, str] = {"where": where} if where else {}
    first = client.get(f"{base}api/sweeps/{sweep_id}/runs", params=params)
    first.raise_for_status()
    pages = first.json()["pages"]
    rng = random.Random(1)
    samples = []
    for _ in range(RUNS_REQUESTS):
        started = time.perf_counter()
        client.get(f"{base}api/sweeps/{sweep_id}/runs", params={**params, "page": rng.randint(1, pages)}).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_backend(backend: str, args: argparse.Namespace) -> None:
    with scratch_database(backend) as url:
        started = time.perf_counter()
        sweep_id = seed_store(url, runs=args.runs, epochs=args.epochs, running=8)
        settle(url)
        dispose_engines()
        print(f"[{backend}] seeded sweep {sweep_id}: {args.runs:,} runs x {args.epochs} epochs in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        with served(url) as (process, base):
            cold_ms = None
            if chromium_binary() is None:
                print(f"[{backend}] page loads: skipped, chromium is not installed (apt-get install chromium)")
            else:
                loads = measure_loads(base, sweep_id, args.loads)
                cold_ms = statistics.median(loads.cold_ms)
                cached_ms = statistics.median(loads.cached_ms)
                print(f"[{backend}] sweep page, cold (fresh context): median {cold_ms:.0f} ms of "
                      f"{', '.join(f'{v:.0f}' for v in loads.cold_ms)}; plotly {loads.cold_plotly_bytes:,} B over "
                      f"the network — {verdict(cold_ms, TARGETS_MS['cold'])}")
                print(f"[{backend}] sweep page, cached (reload): median {cached_ms:.0f} ms of "
                      f"{', '.join(f'{v:.0f}' for v in loads.cached_ms)}; plotly {loads.cached_plotly_bytes:,} B "
                      f"over the network — {verdict(cached_ms, TARGETS_MS['cached'])}")
                print(f"[{backend}] sweeps page /, cold, to load event: median "
                      f"{statistics.median(loads.sweeps_ms):.0f} ms")
            stop = multiprocessing.get_context("spawn").Event()
            writer = multiprocessing.get_context("spawn").Process(target=write_epochs,
                                                                    args=(url, args.epochs, stop))
            writer.start()
            try:
                with httpx.Client(timeout=60) as client:
                    polls = poll_changes(client, base, sweep_id, process.pid, args.polls)
                    board = time_runs_pages(client, base, sweep_id, None)
                    filtered = time_runs_pages(client, base, sweep_id, FILTER)
            finally:
                stop.set()
                writer.join(timeout=30)
            report_polls(backend, polls)
            for label, samples in (("default order", board), ("filtered", filtered)):
                print(f"[{backend}] /runs?page=N, {label}: p50 {statistics.median(samples):.1f} ms, p95 "
                      f"{p95(samples):.1f} ms, max {max(samples):.1f} ms over {len(samples)} — "
                      f"{verdict(p95(samples), TARGETS_MS['runs p95'])}")
        seconds = time_report(url, sweep_id)
        anchor = f"; report ÷ cold page load = {seconds * 1000 / cold_ms:.1f}x" if cold_ms else ""
        print(f"[{backend}] anchor: mnistq report of the same sweep {seconds:.1f} s{anchor}", flush=True)


def report_polls(backend: str, polls: Polls) -> None:
    values = polls.all_ms
    print(f"[{backend}] /changes, {len(values)} polls under {WRITES_PER_S:g} epoch writes/s: p50 "
          f"{statistics.median(values):.1f} ms, p95 {p95(values):.1f} ms, max {max(values):.1f} ms — "
          f"{verdict(p95(values), TARGETS_MS['changes p95'])}")
    if polls.busy_ms:
        print(f"[{backend}] /changes, the {len(polls.busy_ms)} polls that carried changes ({polls.epochs_seen} "
              f"epochs, {polls.reloads} reloads): p50 {statistics.median(polls.busy_ms):.1f} ms, p95 "
              f"{p95(polls.busy_ms):.1f} ms — {verdict(p95(polls.busy_ms), TARGETS_MS['changes p95'])}")
    before, after = polls.rss_kib
    growth = (after - before) / before
    print(f"[{backend}] server RSS: {before / 1024:.1f} MiB after 100 polls, {after / 1024:.1f} MiB after "
          f"{len(values)} ({growth:+.1%}) — {'✓' if growth <= MAX_GROWTH else '✗ MISSED'} (target ≤ +5 %)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--loads", type=int, default=5, help="page loads of each kind (median shown)")
    parser.add_argument("--polls", type=int, default=1000, help="polls of the changes endpoint (at least 100)")
    args = parser.parse_args(argv)
    if args.polls < 100:
        parser.error(f"--polls {args.polls}: expected at least 100 (memory is read after 100)")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        bench_backend(backend, args)


if __name__ == "__main__":
    main()
