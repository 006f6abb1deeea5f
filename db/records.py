"""Frozen records: what `db` queries return (never ORM rows), and the inputs they take.

Times are timezone-aware UTC datetimes; durations are seconds; accuracies are fractions in [0, 1]; losses are
mean cross-entropy in nats. Float metrics may be None (not measured) or NaN/+-inf (measured, non-finite).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.status import CANCELLED, COMPLETED, DIVERGED, FAILED, FINISHED, PRUNED, QUEUED, RUNNING


@dataclass(frozen=True, slots=True)
class NewRun:
    """A config to submit: `config` is TrainConfig.to_dict(), `config_hash` its SHA-256 hex digest."""

    engine: str
    config: Mapping[str, Any]
    config_hash: str


@dataclass(frozen=True, slots=True)
class SweepRecord:
    id: int
    name: str
    spec: dict[str, Any]  # the submitted spec, as parsed
    created_at: datetime
    cancelled: bool


@dataclass(frozen=True, slots=True)
class SweepExtensionRecord:
    """A spec that `submit --extend` added to sweep `sweep_id`, as submitted, and when."""

    id: int
    sweep_id: int
    spec: dict[str, Any]
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run: its config (plus typed copies used by filters), lifecycle, lease and final metrics."""

    id: int
    sweep_id: int  # the sweep that created it (it may belong to later sweeps too)
    engine: str
    config: dict[str, Any]
    config_hash: str
    created_at: datetime
    dataset: str | None
    hidden: str | None  # "256,128,64"
    depth: int | None
    learning_rate: float | None
    batch_size: int | None
    epochs: int | None
    optimizer: str | None
    activation: str | None
    l2: float | None
    momentum: float | None
    seed: int | None
    dropout: float | None
    lr_schedule: str | None
    lr_step_epochs: int | None
    lr_gamma: float | None
    patience: int | None
    augment_shift: int | None
    nesterov: int | None  # 0 or 1
    dtype: str | None
    val_fraction: float | None
    test_fraction: float | None
    label_column: str | None
    status: str
    cancel_requested: bool
    attempts: int
    worker: str | None
    claimed_at: datetime | None
    heartbeat_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    train_acc: float | None
    train_loss: float | None
    val_acc: float | None
    val_loss: float | None
    test_acc: float | None
    test_loss: float | None
    best_epoch: int | None
    train_seconds: float | None
    error: str | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """One epoch of a learning curve (`epoch` is 1-based; val_* None without a validation split)."""

    run_id: int
    epoch: int
    train_loss: float | None
    train_acc: float | None
    val_loss: float | None
    val_acc: float | None
    seconds: float | None


@dataclass(frozen=True, slots=True)
class SweepChanges:
    """What changed in a sweep since a cursor (db.queries.changes). When `truncated`, more than the limits
    changed and `runs`/`epochs` are empty: reload instead (`sweep_changed` is set either way)."""

    cursor: int  # give it back as `since` next time
    runs: tuple[RunRecord, ...]  # the sweep's member runs changed since `since`, by id
    epochs: tuple[EpochRecord, ...]  # epochs of its member runs written since `since`, by (run_id, epoch)
    truncated: bool
    sweep_changed: bool = False  # the sweep's own row changed since `since` (created, cancelled, extended)


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    """A stored artifact's metadata (the bytes come from `load_artifact`, verified)."""

    id: int
    run_id: int
    kind: str  # "final" or "checkpoint"
    format: str  # "npz"
    sha256: str
    size: int  # bytes
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SweepCreated:
    """What a submission did. `run_ids` is every run of the request, in request order (duplicates dropped);
    `new_ids` will train (inserted, or a failed/cancelled run requeued); `reused_ids` already existed."""

    sweep: SweepRecord
    run_ids: tuple[int, ...]
    new_ids: tuple[int, ...]
    reused_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RunControl:
    """A heartbeat's answer: keep training only while `holds_lease`; stop at once if `cancel_requested`."""

    holds_lease: bool
    cancel_requested: bool


@dataclass(frozen=True, slots=True)
class SweepCancelled:
    cancelled_ids: tuple[int, ...]  # were queued, now cancelled
    cancel_requested_ids: tuple[int, ...]  # running: their worker stops at the next epoch


@dataclass(frozen=True, slots=True)
class Reaped:
    """Runs whose lease expired (their worker died), by what the reaper did with them."""

    requeued_ids: tuple[int, ...]  # back to queued: re-send them to the queue
    failed_ids: tuple[int, ...]  # out of attempts
    cancelled_ids: tuple[int, ...]  # a cancel was pending


@dataclass(frozen=True, slots=True)
class SweepCounts:
    """A sweep's progress, counted over its member runs (reused ones included)."""

    sweep_id: int
    by_status: Mapping[str, int]  # every status, 0 when absent
    cancel_requested: int  # running runs asked to stop
    total_train_seconds: float  # sum over finished runs
    mean_train_seconds: float | None
    mean_epoch_seconds: float | None  # over every stored epoch of the sweep's runs
    first_started_at: datetime | None  # over every member run, reused ones included
    last_finished_at: datetime | None
    # Throughput counts only the work this sweep waited for: runs started and still running, or finished
    # since the sweep was created. Results reused from earlier sweeps are left out of both the count and
    # the span, or an --extend sweep would show the old sweep's pace.
    trained_runs: int  # finished since the sweep was created (status completed, failed, diverged, cancelled)
    span_started_at: datetime | None  # the first start among those and the running ones
    span_finished_at: datetime | None  # the last finish among those
    counted_at: datetime  # when the counts were taken: the end of the span while runs are queued or running

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def queued(self) -> int:
        return self.by_status[QUEUED]

    @property
    def running(self) -> int:
        return self.by_status[RUNNING]

    @property
    def completed(self) -> int:
        return self.by_status[COMPLETED]

    @property
    def failed(self) -> int:
        return self.by_status[FAILED]

    @property
    def diverged(self) -> int:
        return self.by_status[DIVERGED]

    @property
    def cancelled(self) -> int:
        return self.by_status[CANCELLED]

    @property
    def pruned(self) -> int:
        return self.by_status[PRUNED]

    @property
    def finished(self) -> int:
        return sum(self.by_status[s] for s in FINISHED)

    @property
    def settled(self) -> bool:
        """Nothing queued or running: the sweep is done until someone retries it."""
        return self.queued == 0 and self.running == 0

    @property
    def active_seconds(self) -> float | None:
        """The sweep's active span: from its first start to its last finish once settled, to `counted_at`
        while runs are queued or running. None before anything started."""
        if self.span_started_at is None:
            return None
        end = self.span_finished_at if self.settled else self.counted_at
        return None if end is None else (end - self.span_started_at).total_seconds()

    @property
    def runs_per_minute(self) -> float | None:
        """Throughput: runs trained for this sweep per minute of its active span (see `active_seconds`).
        A settled sweep keeps its figure however long ago it finished. None until a run has finished."""
        span = self.active_seconds
        if not self.trained_runs or span is None or span <= 0:
            return None
        return self.trained_runs / (span / 60)

    def eta_seconds(self, epochs_left: int, workers: int | None = None) -> float | None:
        """Seconds until done: epochs left × mean seconds per stored epoch, shared by the busy workers
        (`workers`, default the running runs). None until the first epoch has been timed."""
        if self.mean_epoch_seconds is None:
            return None
        parallel = max(1, workers or self.running or 1)
        return epochs_left * self.mean_epoch_seconds / parallel


@dataclass(frozen=True, slots=True)
class Membership:
    """One sweep that holds a run, with the [search] table of its spec (None: a plain grid sweep)."""

    sweep_id: int
    search: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class RungDecisionRecord:
    """An adaptive sweep's decision on a run at one rung epoch (see db.models.RungDecision).

    `value` is what the run was judged by, `reported` what later runs at this rung compare with; None stands
    for a non-finite metric (the worst result). `cutoff` is None while the rule did not apply yet."""

    sweep_id: int
    run_id: int
    rung: int
    rule: str
    metric: str
    value: float | None
    reported: float | None
    verdict: str
    cutoff: float | None
    compared: int
    decided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RungSummary:
    """One rung of an adaptive sweep: how many runs arrived, and what became of them.

    `cutoff` is the cutoff of the latest decision at this rung (None while the rule did not apply yet)."""

    rung: int
    arrived: int
    kept: int
    pruned: int
    diverged: int
    cutoff: float | None
