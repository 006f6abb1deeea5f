"""BLAS threads per worker process: $MNISTQ_BLAS_THREADS, default 1.

One thread per process is the safe default: a worker runs one process per core, and several workers (or
containers) on one host cannot see each other, so any share of the cores computed by one of them would be
wrong as soon as a second one starts. More threads per process only when MNISTQ_BLAS_THREADS asks for them.
"""

from __future__ import annotations

from typing import Any

from threadpoolctl import threadpool_info, threadpool_limits

from core import settings

BLAS_THREADS_ENV = "MNISTQ_BLAS_THREADS"


def apply_blas_threads() -> int:
    """Limit this process's BLAS/OpenMP pools to $MNISTQ_BLAS_THREADS (default 1); returns the limit.
    SettingError for a bad $MNISTQ_BLAS_THREADS."""
    threads: int = settings.read(BLAS_THREADS_ENV)
    threadpool_limits(limits=threads)
    return threads


def thread_pools() -> str:
    """This process's thread pools as threadpoolctl sees them, e.g. "openblas (blas) 1, openmp 1"."""
    return ", ".join(_describe(pool) for pool in threadpool_info()) or "none loaded"


def _describe(pool: dict[str, Any]) -> str:
    name, api = pool.get("internal_api", "?"), pool.get("user_api", "?")
    return f"{name} ({api}) {pool.get('num_threads')}" if name != api else f"{name} {pool.get('num_threads')}"
