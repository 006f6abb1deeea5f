"""Every query of the store. Each takes a Session, never commits (the caller's `session_scope` does),
and returns frozen records from `db.records`."""

from db.queries.artifacts import delete_artifact, get_artifact, load_artifact, store_artifact
from db.queries.changes import change_cursor, changed_sweeps, completed_state, sweep_changes
from db.queries.counts import sweep_counts
from db.queries.epochs import run_histories, run_history, truncate_history, upsert_epoch
from db.queries.lease import claim_run, fail_run, finish_run, heartbeat, requeue_expired
from db.queries.progress import (
    attempts_used,
    claimable_runs,
    release_runs,
    remaining_epochs,
    unclaimed_queued,
)
from db.queries.rows import get_run, get_sweep
from db.queries.rungs import (
    record_decision,
    run_decisions,
    run_memberships,
    rung_results,
    rung_summaries,
    sweep_decisions,
)
from db.queries.runs import RANKING_METRICS, count_runs, leaderboard, list_runs, run_engines
from db.queries.submit import add_runs, config_columns, create_sweep, sweep_extensions
from db.queries.sweeps import cancel_sweep, list_sweeps, resolve_sweep, retry_run, retry_sweep, sweep_run_ids

__all__ = [
    "attempts_used",
    "RANKING_METRICS",
    "add_runs",
    "cancel_sweep",
    "change_cursor",
    "completed_state",
    "changed_sweeps",
    "claim_run",
    "claimable_runs",
    "config_columns",
    "count_runs",
    "create_sweep",
    "delete_artifact",
    "fail_run",
    "finish_run",
    "get_artifact",
    "get_run",
    "get_sweep",
    "heartbeat",
    "leaderboard",
    "list_runs",
    "list_sweeps",
    "release_runs",
    "remaining_epochs",
    "load_artifact",
    "requeue_expired",
    "resolve_sweep",
    "retry_run",
    "retry_sweep",
    "record_decision",
    "rung_results",
    "rung_summaries",
    "run_decisions",
    "run_engines",
    "run_memberships",
    "sweep_decisions",
    "run_histories",
    "run_history",
    "store_artifact",
    "sweep_changes",
    "sweep_counts",
    "sweep_extensions",
    "sweep_run_ids",
    "truncate_history",
    "unclaimed_queued",
    "upsert_epoch",
]
