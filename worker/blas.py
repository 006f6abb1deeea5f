"""BLAS threads per worker process: concurrency x threads never exceeds the cores."""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

from worker.settings import blas_threads

BLAS_THREADS_ENV = "MNISTQ_BLAS_THREADS"


def apply_blas_threads(concurrency: int | None = None) -> int:
    """Limit this process's BLAS/OpenMP pools. Uses $MNISTQ_BLAS_THREADS when set, else
    max(1, cores // concurrency). Returns the limit applied."""
    raw = os.environ.get(BLAS_THREADS_ENV, "").strip()
    threads = int(raw) if raw.isdigit() and int(raw) > 0 else blas_threads(concurrency or 1)
    threadpool_limits(limits=threads)
    return threads
