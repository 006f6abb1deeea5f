"""bench/halving.py's printout: the table, where the workers' time went, and the targets, PASS or MISS."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from pathlib import Path

from bench.halving_anchor import AnchorResult
from bench.halving_runs import SweepResult, span, tail
from bench.scaling import CORES


def machine() -> str:
    """Cores and CPU model, as /proc/cpuinfo names it."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{CORES} cores, {model}"


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def points(acc: float | None) -> str:
    return "-" if acc is None else f"{100 * acc:.2f}"


def print_table(rows: Sequence[SweepResult], anchor: AnchorResult | None, workers: int) -> None:
    grid = next((r for r in rows if r.strategy == "grid"), None)
    print(f"\n{'strategy':<10}{'wall s':>8}{'epochs':>8}{'% grid ep':>10}{'% grid wall':>12}{'best val':>9}"
          f"{'test':>7}{'util':>6}{'load':>6}   runs")
    for r in rows:
        best = r.best
        print(f"{r.strategy:<10}{r.wall:>8.1f}{r.epochs:>8}{percent(r.epochs, grid.epochs) if grid else '-':>10}"
              f"{percent(r.wall, grid.wall) if grid else '-':>12}{points(best and best.val_acc):>9}"
              f"{points(best and best.test_acc):>7}{r.utilisation:>6.0%}{r.load_before:>6.1f}   "
              f"{', '.join(f'{n} {s}' for s, n in r.statuses.items())}")
    if anchor is not None:
        print(f"{'Halving':<10}{anchor.wall:>8.1f}{anchor.epochs:>8}"
              f"{percent(anchor.epochs, grid.epochs) if grid else '-':>10}"
              f"{percent(anchor.wall, grid.wall) if grid else '-':>12}{points(anchor.best_val):>9}"
              f"{points(anchor.best_test):>7}{'-':>6}{anchor.load_before:>6.1f}   {anchor.fits} fits, "
              f"{anchor.failed} diverged")
        print(f"(Halving: HalvingGridSearchCV, n_jobs {workers}; its best config "
              f"{anchor.best_params} retrained at max_iter {anchor.max_iter} untimed for the test column; "
              f"iterations, max_iter x candidates (their fit + score seconds): "
              f"{', '.join(f'{n} x {c} ({t:.1f} s)' for n, c, t in anchor.rungs)})")
    print("(best val: highest validation accuracy of any run; test: that run's test accuracy; util: task time /"
          " (workers x first claim..last finish); load: 1-minute load average at the start of the row)")


def where_time_goes(rows: Sequence[SweepResult]) -> None:
    """Per strategy: worker time split into training, per-task overhead and idle (the tail included)."""
    print("\nwhere the time goes (seconds of worker time, all workers together; epochs: training + validation "
          "passes; in-run: epoch writes, rung decisions, checkpoints, the final test pass; per task: claim, dataset, "
          "final write; idle: between tasks and the tail, when a worker had nothing left):")
    for r in rows:
        held = sum(t.seconds for t in r.tasks)
        trained = sum(t.train_seconds for t in r.tasks)
        total = r.workers * span(r.tasks)
        n = len(r.tasks)
        print(f"  {r.strategy:<7} {span(r.tasks):6.1f} x {r.workers} = {total:6.1f}: epochs {r.epoch_seconds:6.1f}, "
              f"in-run {trained - r.epoch_seconds:5.1f} ({(trained - r.epoch_seconds) / r.epochs * 1000:.0f} ms "
              f"per epoch), per task {held - trained:4.1f} ({(held - trained) / n * 1000:.0f} ms x {n}), "
              f"idle {total - held:5.1f} (tail {tail(r.tasks):.1f}); submit to first claim {r.first_claim:.1f}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def targets(rows: Sequence[SweepResult], anchor: AnchorResult | None) -> list[str]:
    """The target checks, one line each, PASS/MISS with the ratio."""
    by = {r.strategy: r for r in rows}
    grid, asha = by.get("grid"), by.get("asha")
    lines = []

    def test_acc(row: SweepResult) -> float:
        best = row.best
        return (best.test_acc or 0.0) if best else 0.0

    if grid and asha:
        diff = 100 * (test_acc(asha) - test_acc(grid))
        lines.append(f"ASHA best-val run's test accuracy {points(test_acc(asha))} vs grid {points(test_acc(grid))}: "
                     f"{diff:+.2f} points (target >= -0.5): {verdict(diff >= -0.5)}")
        share = asha.epochs / grid.epochs
        lines.append(f"ASHA epochs {asha.epochs} / grid {grid.epochs} = {share:.1%} (target <= 25 %): "
                     f"{verdict(share <= 0.25)}")
        share = asha.wall / grid.wall
        lines.append(f"ASHA wall {asha.wall:.1f} s / grid {grid.wall:.1f} s = {share:.1%} (target <= 30 %): "
                     f"{verdict(share <= 0.30)}")
    for r in rows:
        lines.append(f"{r.strategy} worker utilisation {r.utilisation:.1%} (target >= 90 %): "
                     f"{verdict(r.utilisation >= 0.90)}")
    if asha and anchor:
        speedup = anchor.wall / asha.wall
        stretch = " (stretch 2x: PASS)" if speedup >= 2 else " (stretch 2x: MISS)"
        lines.append(f"ASHA vs HalvingGridSearchCV: {anchor.wall:.1f} s / {asha.wall:.1f} s = {speedup:.2f}x "
                     f"(target >= 1.5x): {verdict(speedup >= 1.5)}{stretch}")
        diff = 100 * (test_acc(asha) - anchor.best_test)
        lines.append(f"ASHA test accuracy {points(test_acc(asha))} vs Halving's {points(anchor.best_test)}: "
                     f"{diff:+.2f} points (target >= -0.5): {verdict(diff >= -0.5)}")
    return lines
