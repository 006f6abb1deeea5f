"""`mnistq worker`: a Celery worker for training runs (the same as `celery -A worker.celery_app worker`)."""

from __future__ import annotations

import os

import click

from core import settings
from core.errors import UserError
from model.config import ENGINES
from worker.blas import BLAS_THREADS_ENV
from worker.settings import check_worker_environment, worker_concurrency

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c", "--concurrency", type=click.IntRange(min=1), default=None,
    help="Worker processes, each training one run at a time. Default: $MNISTQ_WORKER_CONCURRENCY, else one "
    "per core.",
)
@click.option(
    "-Q", "--queues", default=",".join(ENGINES), show_default=True,
    help="Comma-separated engine queues to consume (numpy, sklearn).",
)
@click.option("-n", "--hostname", default=None, help="Celery node name. Default: mnistq-<pid>@<host>.")
@click.option(
    "-l", "--loglevel", default="INFO", show_default=True, type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="Log level.",
)
def worker(concurrency: int | None, queues: str, hostname: str | None, loglevel: str) -> None:
    """Start a Celery worker that trains runs from the queue.

    Each process uses $MNISTQ_BLAS_THREADS BLAS threads (default 1): one process per core with one thread
    each is safe even when several workers or containers share a host, which they cannot see. Needs
    MNISTQ_BROKER_URL (Redis) and MNISTQ_DATABASE_URL (PostgreSQL for several machines). Every setting is
    checked before the worker connects anywhere; a bad one exits with code 2.
    """
    check_worker_environment(os.environ)
    names = engine_queues(queues)
    processes = worker_concurrency(concurrency)
    threads = settings.read(BLAS_THREADS_ENV)
    cores = os.cpu_count() or 1
    if processes * threads > cores:
        click.echo(
            f"mnistq worker: warning: {processes} processes x {threads} BLAS threads > {cores} cores: training "
            "will be slower than with fewer (see MNISTQ_BLAS_THREADS)",
            err=True,
        )

    from worker.celery_app import app

    app.worker_main(
        argv=[
            "worker",
            f"--concurrency={processes}",
            f"--queues={','.join(names)}",
            f"--hostname={hostname or f'mnistq-{os.getpid()}@%h'}",
            f"--loglevel={loglevel.upper()}",
            "--pool=prefork",
        ]
    )


def engine_queues(text: str) -> list[str]:
    """The queues of `-Q`: a comma-separated, non-empty subset of the engines. UserError otherwise."""
    names = [q.strip() for q in text.split(",") if q.strip()]
    unknown = [q for q in names if q not in ENGINES]
    if not names or unknown:
        raise UserError(f"--queues {text!r}: expected a comma-separated subset of {', '.join(ENGINES)}")
    return names
