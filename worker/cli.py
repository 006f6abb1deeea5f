"""`mnistq worker`: a Celery worker for training runs (the same as `celery -A worker.celery_app worker`)."""

from __future__ import annotations

import os

import click

from model.config import ENGINES
from worker.blas import BLAS_THREADS_ENV
from worker.settings import blas_threads


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c", "--concurrency", type=click.IntRange(min=1), default=None,
    help="Worker processes. Default: $MNISTQ_WORKER_CONCURRENCY, else 1 (one process with all cores for BLAS).",
)
@click.option(
    "-Q", "--queues", default=",".join(ENGINES), show_default=True,
    help="Comma-separated engine queues to consume (numpy, sklearn).",
)
@click.option("-n", "--hostname", default=None, help="Celery node name. Default: mnistq-<pid>@<host>.")
@click.option("-l", "--loglevel", default="INFO", show_default=True, help="Log level.")
def worker(concurrency: int | None, queues: str, hostname: str | None, loglevel: str) -> None:
    """Start a Celery worker that trains runs from the queue.

    Each process gets max(1, cores // concurrency) BLAS threads, so the machine is never oversubscribed.
    Needs MNISTQ_BROKER_URL (Redis) and MNISTQ_DATABASE_URL (PostgreSQL for several machines).
    """
    from core.errors import UserError

    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in names if q not in ENGINES]
    if not names or unknown:
        raise UserError(f"--queues {queues!r}: expected a comma-separated subset of {', '.join(ENGINES)}")
    if concurrency is None:
        raw = os.environ.get("MNISTQ_WORKER_CONCURRENCY", "1").strip() or "1"
        if not raw.isdigit() or int(raw) < 1:
            raise UserError(f"environment MNISTQ_WORKER_CONCURRENCY = {raw!r}: expected a positive integer")
        concurrency = int(raw)
    os.environ.setdefault(BLAS_THREADS_ENV, str(blas_threads(concurrency)))

    from worker.celery_app import app

    app.worker_main(
        argv=[
            "worker",
            f"--concurrency={concurrency}",
            f"--queues={','.join(names)}",
            f"--hostname={hostname or f'mnistq-{os.getpid()}@%h'}",
            f"--loglevel={loglevel}",
            "--pool=prefork",
        ]
    )
