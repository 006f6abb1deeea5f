"""BLAS threads per worker process: concurrency x threads never exceeds the cores."""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

from core import settings
from worker.settings import blas_threads

BLAS_THREADS_ENV = "MNISTQ_BLAS_THREADS"


def apply_blas_threads(concurrency: int | None = None) -> int:
    """Limit this process's BLAS/OpenMP pools. Uses $MNISTQ_BLAS_THREADS when set, else
    max(1, cores // concurrency). Returns the limit applied. SettingError for a bad $MNISTQ_BLAS_THREADS."""
    threads = settings.read(BLAS_THREADS_ENV) if os.environ.get(BLAS_THREADS_ENV, "").strip() else blas_threads(
        concurrency or 1
    )
    threadpool_limits(limits=threads)
    return threads
