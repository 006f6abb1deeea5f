"""Sweep summaries (and an adaptive sweep's rungs) kept fresh off the request path, shared by every page and
client.

A summary counts every run and epoch of its sweep (about 0.1 s at 10,000 runs × 50 epochs on SQLite), while a
poll's own changes cost milliseconds. So a poll that sees a sweep change asks for a new summary in the
background and answers at once; a later poll carries the new one. Every summary stored gets the next version
number (one counter for all sweeps), and a client says which version it has seen last (`seen`): it is sent the
summaries of higher versions, each once.

A page that renders summaries polls from the oldest cursor they were computed at, so a change that committed
after a summary was computed, but before the page read its cursor, still reaches it.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from db import session_scope
from db.queries import change_cursor, changed_sweeps, get_sweep, list_sweeps
from ui.data import rungs, sweep_summary

log = logging.getLogger("mnistq.ui")
MAX_AGE_SECONDS = 5.0  # a training sweep's summary older than this is refreshed, for its rate and ETA


@dataclass(frozen=True)
class Summary:
    sweep_id: int
    cursor: int  # the change cursor read before it was computed: it reflects every change before this
    computed_at: float  # time.monotonic()
    data: dict[str, Any]  # ui.data.sweep_summary
    rungs: dict[str, Any] | None  # ui.data.rungs: None for a grid sweep
    version: int = 0  # given when stored: higher is newer, across every sweep


class SweepSummaries:
    """The newest summary of each sweep asked for, recomputed in a background thread when a change is seen."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._clock = clock
        self._lock = threading.Lock()
        self._versions = itertools.count(1)
        self._summaries: dict[int, Summary] = {}
        self._wanted: set[int] = set()  # sweeps changed since their refresh started
        self._refreshing: set[int] = set()

    def current(self, sweep_id: int, session: Session) -> Summary:
        """The newest summary at once, for a page's first render; when the sweep changed since it was computed
        (or, still training, it is older than MAX_AGE_SECONDS: its rate and ETA move with the clock), a new one
        is computed in the background and the page's first poll carries it. NotFoundError for an unknown
        sweep."""
        known = self._summaries.get(sweep_id)
        if known is None:
            return self._compute(sweep_id)
        if self._aged(known) or sweep_id in changed_sweeps(session, known.cursor)[1]:
            self._refresh_later(sweep_id)
        return known

    def listing(self, session: Session) -> dict[str, Any]:
        """Every sweep's current summary (`sweeps`, newest sweep first), with the cursor a page showing them
        polls from (`cursor`: the oldest summary's, so a change one of them predates still reaches the page)
        and the newest version among them (`seen`)."""
        cursor = change_cursor(session)  # before the data: a change committing meanwhile is sent again, not lost
        listed = [self.current(sweep.id, session) for sweep in list_sweeps(session)]
        return {
            "cursor": min([cursor, *(summary.cursor for summary in listed)]),
            "seen": max((summary.version for summary in listed), default=0),
            "sweeps": [summary.data for summary in listed],
        }

    def latest(self, sweep_id: int, *, changed: bool) -> Summary:
        """The newest summary at once; when the sweep `changed` (or the summary aged), a new one is computed
        in the background."""
        known = self._summaries.get(sweep_id)
        if known is None:
            return self._compute(sweep_id)
        if changed or self._aged(known):
            self._refresh_later(sweep_id)
        return known

    def _aged(self, summary: Summary) -> bool:
        """A summary of a sweep still training, older than MAX_AGE_SECONDS: its rate and ETA moved on."""
        return not summary.data["settled"] and self._clock() - summary.computed_at > MAX_AGE_SECONDS

    def newer_than(self, seen: int) -> list[Summary]:
        """The summaries stored after version `seen`, by sweep id."""
        with self._lock:
            return sorted((s for s in self._summaries.values() if s.version > seen), key=lambda s: s.sweep_id)

    def _compute(self, sweep_id: int) -> Summary:
        with session_scope(self._engine) as session:
            cursor = change_cursor(session)  # before the data, like every page
            sweep = get_sweep(session, sweep_id)
            data, found_rungs = sweep_summary(session, sweep), rungs(session, sweep)
        summary = Summary(sweep_id, cursor=cursor, computed_at=self._clock(), data=data, rungs=found_rungs)
        with self._lock:
            known = self._summaries.get(sweep_id)
            if known is not None and known.cursor > summary.cursor:
                return known  # a later computation finished first
            summary = replace(summary, version=next(self._versions))
            self._summaries[sweep_id] = summary
        return summary

    def _refresh_later(self, sweep_id: int) -> None:
        with self._lock:
            self._wanted.add(sweep_id)
            if sweep_id in self._refreshing:
                return  # the running refresh computes again once it is done
            self._refreshing.add(sweep_id)
        threading.Thread(target=self._refresh, args=(sweep_id,), name=f"summary-{sweep_id}", daemon=True).start()

    def _refresh(self, sweep_id: int) -> None:
        try:
            while True:
                with self._lock:
                    if sweep_id not in self._wanted:
                        return
                    self._wanted.discard(sweep_id)
                self._compute(sweep_id)
        except Exception as exc:  # the database went away, say: the next change asks again
            log.warning("sweep %d: summary not refreshed: %s: %s", sweep_id, exc.__class__.__name__, exc)
        finally:
            with self._lock:
                self._refreshing.discard(sweep_id)
