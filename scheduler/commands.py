"""The sweep commands of `mnistq`: submit, status, sweeps, runs, show, cancel, retry, export, reap, scheduler.

Each command opens one session scope at its edge and passes it to the `db` queries. Exit codes: 0 ok,
2 user error, 1 internal error; `submit` and `retry` when they train or wait: 3 runs failed, 4 runs unfinished
(scheduler/outcome.py).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from adaptive import SearchPlan
from core import settings
from core.epochs import EPOCH_FIELDS
from core.errors import UserError
from core.ids import parse_id
from core.masking import mask_text, mask_url
from core.output import check_output_file, write_atomically
from core.text import clip, one_line, printable
from db import LeasePolicy, RunRecord, SweepCounts, open_store, session_scope
from db.export import decisions_json, dicts_csv, finite_or_none, rungs_json, runs_csv, runs_json
from db.queries import (
    cancel_sweep,
    get_run,
    list_runs,
    list_sweeps,
    load_artifact,
    resolve_sweep,
    retry_run,
    retry_sweep,
    run_decisions,
    run_engines,
    run_history,
    rung_summaries,
    sweep_counts,
    sweep_decisions,
    sweep_run_ids,
)
from db.status import CANCELLED, FAILED, QUEUED, STATUSES
from db.url import database_url
from scheduler import outcome
from scheduler.local import run_local
from scheduler.outcome import Target
from scheduler.progress import format_duration, format_rate, status_line, watch
from scheduler.queue import broker_url, check_broker, enqueue, make_sender
from scheduler.reaper import ReaperSettings, reap_once
from scheduler.rungs_view import decision_lines, rung_table
from scheduler.service_log import service_logger
from scheduler.spec import load_spec
from scheduler.submit import check_datasets, extension_notice, store_sweep
from scheduler.tables import format_table, output_format, runs_table

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _run_id(ref: str) -> int:
    return parse_id(ref, "run", listing="mnistq runs")


# ----- submit ---------------------------------------------------------------------------------------------


@click.command(context_settings=CONTEXT)
@click.argument("spec_file", metavar="SPEC")
@click.option("--extend", metavar="SWEEP", help="Add only the configs missing from this existing sweep.")
@click.option("--max-runs", type=click.IntRange(min=1), help="Grid size limit (default 10,000 or $MNISTQ_MAX_GRID).")
@click.option("--workers", type=click.IntRange(min=1), help="Local mode: worker processes (default: the cores).")
@click.option("--wait", is_flag=True, help="Queue mode: show progress until the sweep is done (exit 3/4 as below).")
@click.option("--json", "as_json", is_flag=True, help='Print {"sweep_id", "runs", "new", "reused", "counts"} as JSON.')
@settings.uses(settings.STORE, settings.QUEUE, settings.LIMITS, settings.DATA)
def submit(
    spec_file: str, extend: str | None, max_runs: int | None, workers: int | None, wait: bool, as_json: bool
) -> None:
    """Submit a grid spec (TOML or JSON) as a sweep.

    The whole spec is validated before anything is stored or sent. Configs already in the store (same config
    hash) are reused, never trained twice. Without MNISTQ_BROKER_URL the sweep runs here, in local worker
    processes, with a progress bar; with it, runs are sent to the Celery queue of their engine.

    When it trains (local mode) or waits (--wait), it exits 3 if runs failed and 4 if runs are unfinished
    (cancelled, or still queued/running when it stopped), printing the `mnistq retry` that resumes them.
    """
    spec = load_spec(spec_file, max_runs=max_runs)
    url = broker_url()
    sender = None
    if url is not None:
        sender = make_sender(url)
        check_broker(sender)  # before anything is written
    else:
        settings.check(settings.TRAINING)  # the local workers' settings, before anything is stored
    for warning in check_datasets(spec, queue=sender is not None):  # reads csv:/idx: files: after the cheap checks
        click.echo(f"mnistq: warning: {warning}", err=True)
    engine = open_store(create=True)
    with session_scope(engine) as session:
        extend_id = None if extend is None else resolve_sweep(session, extend)
        submitted = store_sweep(session, spec, extend=extend_id)
    if (notice := extension_notice(spec, submitted)) is not None:
        click.echo(notice, err=True)
    if spec.plan.adaptive:
        click.echo(spec.plan.describe(max(c.epochs for c in spec.configs)), err=True)
    summary = {"sweep_id": submitted.sweep_id, "runs": submitted.runs, "new": submitted.new, "reused": submitted.reused}
    note = f"sweep {submitted.sweep_id} ({printable(submitted.sweep_name)}): {submitted.runs} runs, {submitted.new} new, {submitted.reused} reused"
    target = Target(submitted.sweep_id)
    if sender is not None:
        enqueue(sender, submitted.to_train)
        click.echo(f"{note}; sent to {mask_url(url or '')}", err=as_json)
    else:
        click.echo(f"{note}; {'training locally' if submitted.new else 'nothing new to train'}", err=True)
    _conclude(engine, target, summary, local=sender is None, wait=wait, workers=workers, as_json=as_json)


def _conclude(
    engine: Engine, target: Target, out: dict[str, Any], *, local: bool, wait: bool, workers: int | None, as_json: bool
) -> None:
    """The end of `submit` and `retry`: train locally (always waiting) or watch the queue (`--wait`), print the
    JSON summary, then exit 3 if runs failed or 4 if runs are unfinished, with one line saying what is left."""
    counts: SweepCounts | None = None
    if local:
        counts = run_local(
            engine, target, database_url(), workers=workers, max_attempts=LeasePolicy.from_env().max_attempts
        )
    elif wait:
        counts = watch(engine, target.sweep_id, run_id=target.run_id)
    if counts is not None:
        out["counts"] = dict(counts.by_status)
    if as_json:
        click.echo(json.dumps(out))
    _exit_as_wait(target, counts)


def _exit_as_wait(target: Target | None, counts: SweepCounts | None) -> None:
    """`submit --wait`'s ending, for every command that waited on `target` (nothing when it did not wait):
    exit 3 if runs failed and 4 if runs are unfinished, with one line saying what is left."""
    if target is None or counts is None:
        return
    code = outcome.exit_code(counts.by_status)
    if code != outcome.EXIT_OK:
        click.echo(outcome.summary(target, counts.by_status), err=True)
        sys.exit(code)


# ----- status and listings --------------------------------------------------------------------------------


@click.command(context_settings=CONTEXT)
@click.argument("sweep", required=False)
@output_format("the counts, timing and rungs of each sweep")
@click.option(
    "--watch", "until_settled", is_flag=True,
    help="Refresh SWEEP's progress and ETA until nothing is queued or running, then print its status; exit codes "
    "as `submit --wait` (3: runs failed, 4: runs unfinished).",
)
@settings.uses(settings.STORE)
def status(sweep: str | None, fmt: str, until_settled: bool) -> None:
    """Show a sweep's progress: runs per status, timing and throughput (every sweep without SWEEP).

    The line reads "DONE/TOTAL done (pruned, failed, diverged, cancelled), N running | RATE/min"; runs neither done nor
    running are queued. Throughput counts the runs trained for this sweep (not results reused from earlier
    ones) per minute of its active span: first start to last finish once nothing is queued or running, first
    start to now before that. Text and --json ("runs_per_minute", "trained_runs", "active_seconds") agree.
    """
    if until_settled and not sweep:
        raise click.UsageError("--watch needs a SWEEP (an id or 'latest')")
    target, watched = None, None
    if until_settled:  # a sweep submitted from another shell or a container: its progress until it settles
        engine = open_store()
        with session_scope(engine) as session:
            target = Target(resolve_sweep(session, sweep))
        watched = watch(engine, target.sweep_id)
    with session_scope(open_store()) as session:
        found = {s.id: s for s in list_sweeps(session)}
        names = {sweep_id: s.name for sweep_id, s in found.items()}
        ids = [resolve_sweep(session, sweep)] if sweep else list(names)
        counts = [sweep_counts(session, sweep_id) for sweep_id in ids]
        plans = {sweep_id: SearchPlan.of_spec(found[sweep_id].spec) for sweep_id in ids}
        rungs = {i: rung_summaries(sweep_decisions(session, i)) for i in ids if plans[i].adaptive}
    if fmt == "csv":
        click.echo(dicts_csv([_counts_row(_counts_json(c, names[c.sweep_id])) for c in counts], _COUNT_FIELDS), nl=False)
        _exit_as_wait(target, watched)
        return
    if fmt == "json":
        out = [_counts_json(c, names[c.sweep_id]) for c in counts]
        for entry in out:
            if entry["sweep_id"] in rungs:
                entry["search"] = plans[entry["sweep_id"]].to_dict()
                entry["rungs"] = rungs_json(rungs[entry["sweep_id"]])
        click.echo(json.dumps(out, indent=2))
        _exit_as_wait(target, watched)
        return
    if not counts:
        click.echo("no sweeps yet: submit one with `mnistq submit SPEC`")
    for c in counts:
        click.echo(f"sweep {c.sweep_id} ({names[c.sweep_id]}): {status_line(c, None, show_eta=False)}")
        if sweep:
            shown = [s for s in _STATUS_ORDER if s != "pruned" or c.pruned or c.sweep_id in rungs]  # grid: no prunes
            click.echo("  runs: " + ", ".join(f"{c.by_status[status]} {status}" for status in shown))
            click.echo(f"  throughput: {_throughput_text(c)}")
            mean = format_duration(c.mean_train_seconds)
            click.echo(f"  training time {format_duration(c.total_train_seconds)} in all, {mean} per finished run")
            if c.cancel_requested:
                click.echo(f"  {c.cancel_requested} running runs asked to stop at their next epoch")
            if c.sweep_id in rungs:
                click.echo("\n".join(rung_table(plans[c.sweep_id], rungs[c.sweep_id])))
    _exit_as_wait(target, watched)


_STATUS_ORDER = ("completed", "pruned", "failed", "diverged", "cancelled", "running", "queued")


def _throughput_text(c: SweepCounts) -> str:
    """'12.3 runs/min: 150 runs in 12:10, first start to now' (the figure the status line shows)."""
    rate, span = c.runs_per_minute, c.active_seconds
    if rate is None or span is None:
        return "none yet (no run trained for this sweep has finished)"
    until = "last finish" if c.settled else "now"
    span_text = f"{c.trained_runs} runs in {format_duration(span)}, first start to {until}"
    return f"{format_rate(rate)} runs/min: {span_text}"


_COUNT_FIELDS = (
    "sweep_id", "name", "total", *(f"runs_{status}" for status in STATUSES), "total_train_seconds",
    "mean_train_seconds", "runs_per_minute", "trained_runs", "active_seconds",
)


def _counts_row(counts: dict[str, Any]) -> dict[str, Any]:
    """A sweep's counts flattened for CSV: one runs_STATUS column per status."""
    flat = {k: v for k, v in counts.items() if k not in ("by_status", "search", "rungs")}
    return {**flat, **{f"runs_{status}": n for status, n in counts["by_status"].items()}}


def _counts_json(c: SweepCounts, name: str) -> dict[str, Any]:
    return {
        "sweep_id": c.sweep_id,
        "name": name,
        "total": c.total,
        "by_status": dict(c.by_status),
        "total_train_seconds": c.total_train_seconds,
        "mean_train_seconds": c.mean_train_seconds,
        "runs_per_minute": c.runs_per_minute,  # the status line's figure; null until a run has finished
        "trained_runs": c.trained_runs,
        "active_seconds": c.active_seconds,
    }


@click.command(context_settings=CONTEXT)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Newest sweeps shown.")
@output_format("a list of sweeps with their counts")
@settings.uses(settings.STORE)
def sweeps(limit: int, fmt: str) -> None:
    """List sweeps, newest first, with their run counts."""
    with session_scope(open_store()) as session:
        found = list_sweeps(session, limit=limit)
        counts = {s.id: sweep_counts(session, s.id) for s in found}
    listed = [
        {**_counts_json(counts[s.id], s.name), "created_at": s.created_at.isoformat(), "cancelled": s.cancelled}
        for s in found
    ]
    if fmt == "json":
        click.echo(json.dumps(listed, indent=2))
        return
    if fmt == "csv":
        fields = (*_COUNT_FIELDS[:2], "created_at", "cancelled", *_COUNT_FIELDS[2:])
        click.echo(dicts_csv([_counts_row(row) for row in listed], fields), nl=False)
        return
    if not found:
        click.echo("no sweeps yet: submit one with `mnistq submit SPEC`")
        return
    headers = (
        "id", "name", "created", "runs", "completed", "pruned", "failed", "diverged", "running", "queued", "cancelled"
    )
    rows = [
        (
            s.id, s.name, s.created_at.strftime("%Y-%m-%d %H:%M"), counts[s.id].total, counts[s.id].completed,
            counts[s.id].pruned, counts[s.id].failed, counts[s.id].diverged, counts[s.id].running,
            counts[s.id].queued, counts[s.id].cancelled,
        )
        for s in found
    ]
    click.echo(format_table(headers, rows))


@click.command(context_settings=CONTEXT)
@click.option("--sweep", metavar="SWEEP", help="Only this sweep's runs (an id or 'latest').")
@click.option("--where", metavar="FILTER", help="e.g. \"val_acc > 0.95 and (learning_rate < 0.1 or depth >= 3)\".")
@click.option("--order-by", default="id", show_default=True, help="Fields, '-' for descending: -val_acc,id.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many runs.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@settings.uses(settings.STORE)
def runs(sweep: str | None, where: str | None, order_by: str, limit: int | None, fmt: str) -> None:
    """List runs with filters and ordering (table, CSV for spreadsheets, JSON for pandas).

    Filters compare config parameters and final metrics: = != < <= > >=, in (...), and/or/not and
    parentheses. A comparison never matches a missing or NaN value: select those with `is null` / `is nan`
    (and `is not ...`), e.g. "test_acc is null" or "val_loss is nan". Fields: id, sweep_id, engine, status,
    attempts, every config key (dataset, hidden, learning_rate, dropout, lr_schedule, ...; nesterov is 0 or 1),
    depth (hidden layers), train/val/test acc and loss, best_epoch, train_seconds. CSV has them all.
    """
    with session_scope(open_store()) as session:
        sweep_id = None if sweep is None else resolve_sweep(session, sweep)
        found = list_runs(session, sweep_id=sweep_id, where=where, order_by=order_by, limit=limit)
    if fmt == "json":
        click.echo(runs_json(found))
    elif fmt == "csv":
        click.echo(runs_csv(found), nl=False)
    else:
        click.echo(runs_table(found))


@click.command(context_settings=CONTEXT)
@click.argument("run_ref", metavar="RUN")
@output_format("config, status, attempts, metrics, history and rung decisions")
@settings.uses(settings.STORE)
def show(run_ref: str, fmt: str) -> None:
    """Show one run: its config, status, attempts, final metrics, per-epoch history and rung decisions
    (--format csv: the per-epoch history alone, a row per epoch)."""
    with session_scope(open_store()) as session:
        run = get_run(session, _run_id(run_ref))
        history = run_history(session, run.id)
        decisions = run_decisions(session, run.id)
    rows = [
        {k: finite_or_none(getattr(h, k)) for k in EPOCH_FIELDS}
        for h in history
    ]
    if fmt == "csv":
        click.echo(dicts_csv(rows, EPOCH_FIELDS), nl=False)
        return
    if fmt == "json":
        out = {**_run_json(run), "history": rows, "rung_decisions": decisions_json(decisions)}
        click.echo(json.dumps(out, indent=2, allow_nan=False))
        return
    click.echo(f"run {run.id} (sweep {run.sweep_id}, {run.engine}): {run.status}, attempt {run.attempts}")
    if run.error:  # the column also holds why a run that did not fail stopped (early stopping, a cancel)
        click.echo(f"{'error' if run.status == FAILED else 'note'}: {run.error}")
    click.echo("config: " + ", ".join(f"{k}={v}" for k, v in sorted(run.config.items())))
    metrics = [("train", run.train_acc, run.train_loss), ("val", run.val_acc, run.val_loss), ("test", run.test_acc, run.test_loss)]
    click.echo(format_table(("split", "accuracy", "loss"), metrics))
    if run.train_seconds is not None:
        kept = ""
        if run.best_epoch is not None:
            kept = f"; weights kept from epoch {run.best_epoch}, {_KEPT_BY[_kept_by(run)]}"
        click.echo(f"trained in {run.train_seconds:.1f} s{kept}")
    if history:
        click.echo(format_table(EPOCH_FIELDS, [[r[h] for h in EPOCH_FIELDS] for r in rows]))
    for line in decision_lines(decisions):
        click.echo(line)


_KEPT_BY = {
    "lowest_val_loss": "the lowest validation loss (early stopping)",
    "last_epoch": "the last epoch trained (no early stopping)",
}


def _kept_by(run: RunRecord) -> str:
    """Which epoch's weights a run keeps (the stored best_epoch): "lowest_val_loss" with early stopping,
    else "last_epoch" (for a diverged run, the last one before the loss blew up)."""
    early_stopping = (run.config.get("patience") or 0) > 0 and (run.config.get("val_fraction") or 0) > 0
    return "lowest_val_loss" if early_stopping else "last_epoch"


def _run_json(run: RunRecord) -> dict[str, Any]:
    out = {
        k: finite_or_none(getattr(run, k))
        for k in (
            "id", "sweep_id", "engine", "status", "attempts", "worker", "train_acc", "val_acc", "test_acc",
            "train_loss", "val_loss", "test_loss", "train_seconds", "error",
        )
    }
    # the stored column (and --where field) is best_epoch; it is the epoch whose weights were kept
    out["kept_epoch"] = run.best_epoch
    out["kept_by"] = None if run.best_epoch is None else _kept_by(run)
    out["config"] = run.config
    for k in ("started_at", "finished_at"):
        value = getattr(run, k)
        out[k] = None if value is None else value.isoformat()
    return out


# ----- control ---------------------------------------------------------------------------------------------


@click.command(context_settings=CONTEXT)
@click.argument("sweep")
@settings.uses(settings.STORE)
def cancel(sweep: str) -> None:
    """Cancel a sweep: queued runs are cancelled, running ones stop at their next epoch (partial history kept)."""
    with session_scope(open_store()) as session:
        sweep_id = resolve_sweep(session, sweep)
        done = cancel_sweep(session, sweep_id)
    click.echo(
        f"sweep {sweep_id}: {len(done.cancelled_ids)} queued runs cancelled, "
        f"{len(done.cancel_requested_ids)} running runs will stop at their next epoch"
    )


@click.command(context_settings=CONTEXT)
@click.argument("sweep", required=False)
@click.option("--run", "run_ref", metavar="RUN", help="Retry this one run instead of a sweep.")
@click.option("--cancelled", is_flag=True, help="Also resume cancelled runs from their checkpoints.")
@click.option("--workers", type=click.IntRange(min=1), help="Local mode: worker processes (default: the cores).")
@click.option("--wait", is_flag=True, help="Queue mode: show progress until the runs are done (exit 3/4 as below).")
@click.option("--json", "as_json", is_flag=True, help='Print {"sweep_id", "run_id", "retried", "queued", "counts"}.')
@settings.uses(settings.STORE, settings.QUEUE)
def retry(
    sweep: str | None, run_ref: str | None, cancelled: bool, workers: int | None, wait: bool, as_json: bool
) -> None:
    """Queue a sweep's failed runs again, and send its queued runs again (a lost message costs nothing).

    --cancelled also resumes its cancelled runs, each from its last checkpoint, and reopens the sweep.

    --run RUN takes one run instead of a SWEEP: a failed, cancelled, diverged or completed run is queued again
    (a completed one is retrained, e.g. when its stored weights were found corrupt). A pruned run is refused:
    its sweep's decision stands; a spec without [search] holding its config trains it further.

    Without MNISTQ_BROKER_URL the runs train here, and it waits; with it, --wait shows progress. Then, like
    `submit`, it exits 3 if runs failed and 4 if runs are unfinished, printing the command that resumes them.
    """
    if (sweep is None) == (run_ref is None):
        raise UserError("give either a SWEEP or --run RUN, not both" if sweep else "give a SWEEP or --run RUN")
    url = broker_url()
    sender = None if url is None else make_sender(url)
    if sender is not None:
        check_broker(sender)
    else:
        settings.check(settings.TRAINING)
    engine = open_store()
    with session_scope(engine) as session:
        if run_ref is not None:
            target, retried, note = _retry_one(session, _run_id(run_ref))
        else:
            target, retried, note = _retry_sweep(session, resolve_sweep(session, sweep or ""), cancelled)
        queued = sweep_run_ids(session, target.sweep_id, statuses=[QUEUED])
        queued = [run_id for run_id in queued if target.run_id in (None, run_id)]
        engines = run_engines(session, queued)
    click.echo(note if target.run_id else f"{note}, {len(queued)} queued in all", err=True)
    if sender is not None:
        enqueue(sender, engines)
    out = {"sweep_id": target.sweep_id, "run_id": target.run_id, "retried": retried, "queued": len(queued)}
    _conclude(engine, target, out, local=sender is None, wait=wait, workers=workers, as_json=as_json)


def _retry_sweep(session: Session, sweep_id: int, cancelled: bool) -> tuple[Target, dict[str, list[int]], str]:
    """Queue the sweep's failed (and with `cancelled`, cancelled) runs again: the target, ids per former
    status, and the line saying so."""
    retried = {FAILED: retry_sweep(session, sweep_id)}
    if cancelled:
        retried[CANCELLED] = retry_sweep(session, sweep_id, statuses=[CANCELLED])
    done = ", ".join(f"{len(ids)} {status} runs queued again" for status, ids in retried.items())
    return Target(sweep_id), retried, f"sweep {sweep_id}: {done}"


def _retry_one(session: Session, run_id: int) -> tuple[Target, dict[str, list[int]], str]:
    """Queue one run again (`retry --run`): the target, its id under its former status, and the line."""
    run, was = retry_run(session, run_id)
    if was == QUEUED:
        return Target(run.sweep_id, run.id), {}, f"run {run.id}: already queued, sent again"
    return Target(run.sweep_id, run.id), {was: [run.id]}, f"run {run.id}: {was}, queued again"


@click.command(context_settings=CONTEXT)
@click.argument("run_ref", metavar="RUN")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Where to write the .npz.")
@settings.uses(settings.STORE)
def export(run_ref: str, output: str) -> None:
    """Export a run's final weights (W1..WL, b1..bL, norm_mean, norm_std) as .npz, checksum verified."""
    target = check_output_file(Path(output))
    with session_scope(open_store()) as session:
        run = get_run(session, _run_id(run_ref))
        blob = load_artifact(session, run.id, "final")
    write_atomically(target, blob)
    click.echo(f"run {run.id}: {len(blob)} bytes of weights written to {target}")


# ----- the reaper -----------------------------------------------------------------------------------------


@click.command(context_settings=CONTEXT)
@settings.uses(settings.STORE, settings.QUEUE, settings.REAPER)
def reap() -> None:
    """Requeue runs whose worker lease expired ($MNISTQ_LEASE_SECONDS), re-send lost queued runs, and exit."""
    url = broker_url()
    sender = None if url is None else make_sender(url)
    done = reap_once(open_store(), sender, ReaperSettings.from_env())
    click.echo(done.summary())


@click.command(context_settings=CONTEXT)
@click.option("--interval", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Seconds between passes.")
@settings.uses(settings.STORE, settings.QUEUE, settings.REAPER)
def scheduler(interval: float) -> None:
    """Run the reaper as a long-lived service: every INTERVAL seconds, requeue runs whose lease expired and
    re-send queued runs whose message was lost ($MNISTQ_RESEND_SECONDS). A pass that fails (the database or
    the broker is down) is logged in one line and tried again at the next interval. Log lines (stderr) carry
    their time and level: INFO for passes that changed something, WARNING for failed passes."""
    url = broker_url()
    sender = None if url is None else make_sender(url)
    settings = ReaperSettings.from_env()
    log = service_logger()
    log.info("reaping every %g s", interval)
    while True:
        try:
            done = reap_once(open_store(), sender, settings)
        except Exception as exc:  # keep serving: the next pass retries whatever failed here
            reason = clip(mask_text(one_line(f"{exc.__class__.__name__}: {exc}")), 500)
            log.warning("pass failed (%s); next in %g s", reason, interval)
        else:
            if done.changed:
                log.info("%s", done.summary())
        time.sleep(interval)

