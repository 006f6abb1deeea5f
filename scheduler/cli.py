"""`mnistq`: the front door.

Each package owns its commands (`model.cli` trains inline and describes data, `db.cli` migrates, `report.cli`
writes reports, `worker.cli` starts a worker, `scheduler.commands` submits and queries sweeps). This module only
routes to them by name, importing a command's module when that command runs, so `mnistq --help` stays fast and
the scheduler never imports training code itself.

Exit codes: 0 ok, 2 user error (a one-line message, no traceback), 1 internal error.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from core.errors import UserError
from core.masking import mask_text
from core.text import clip, one_line, printable

MESSAGE_CHARACTERS = 400  # an error line never echoes a whole 100 KB argument back
# command name -> ("module", "attribute", one-line help shown by `mnistq --help` without importing the module)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "train": ("model.cli", "train", "Train one config inline and print a summary (or --json)."),
    "data": ("model.data.cli", "data", "Describe datasets: size, class balance, constant pixels, correlations."),
    "db": ("db.cli", "db", "Manage the result store (upgrade the schema)."),
    "submit": ("scheduler.commands", "submit", "Submit a grid spec (TOML/JSON) as a sweep."),
    "status": ("scheduler.commands", "status", "Show a sweep's progress (or every sweep's)."),
    "sweeps": ("scheduler.commands", "sweeps", "List sweeps."),
    "runs": ("scheduler.commands", "runs", "List runs with filters (--where) and ordering."),
    "show": ("scheduler.commands", "show", "Show one run: config, status, attempts, history."),
    "history": ("scheduler.history_command", "history", "Print a sweep's learning curves, a row per run and epoch (CSV/JSON)."),
    "cancel": ("scheduler.commands", "cancel", "Cancel a sweep: queued runs stop, running ones at their next epoch."),
    "retry": ("scheduler.commands", "retry", "Queue failed runs again (--cancelled: cancelled ones too), or one run (--run)."),
    "export": ("scheduler.commands", "export", "Export a run's weights as .npz."),
    "predict": ("report.cli", "predict", "Classify an image, or score a run on its test split."),
    "reap": ("scheduler.commands", "reap", "Requeue runs whose lease expired and re-send lost queued runs (once)."),
    "scheduler": ("scheduler.commands", "scheduler", "Run the reaper loop as a long-lived service."),
    "worker": ("worker.cli", "worker", "Start a Celery worker (same as celery -A worker.celery_app worker)."),
    "report": ("report.cli", "report", "Write a sweep's HTML or Markdown report."),
    "ui": ("ui.cli", "ui", "Serve a live, read-only web dashboard of the store (127.0.0.1:8080)."),
    "config": ("scheduler.config_command", "config", "Show every MNISTQ_* setting's effective value (secrets masked)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when they run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (module, _, _) in COMMANDS.items() if _module_exists(module)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """`mnistq --help` lists the commands from COMMANDS, without importing any of them."""
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="mnistq", prog_name="mnistq")
def cli() -> None:
    """mnistq: grid searches of MNIST classifiers on a Celery queue, stored in SQL.

    \b
    Local mode (no MNISTQ_BROKER_URL): `mnistq submit spec.toml` trains on this machine.
    Queue mode: set MNISTQ_BROKER_URL=redis://... and MNISTQ_DATABASE_URL=postgresql+psycopg://...,
    start `mnistq worker` on any number of machines, then `mnistq submit`.
    """


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: run the CLI and map errors to exit codes (2 user, 1 internal)."""
    try:
        return cli.main(args=argv, prog_name="mnistq", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("mnistq: aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:  # bad option values, missing arguments: a user error, one line
        where = exc.ctx.command_path if exc.ctx is not None else "mnistq"
        click.echo(f"mnistq: error: {_one_line(exc.format_message())} (see '{where} --help')", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"mnistq: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(2 if exc.exit_code == 2 else 1)
    except KeyboardInterrupt:
        click.echo("mnistq: interrupted", err=True)
        sys.exit(130)
    except UserError as exc:
        click.echo(f"mnistq: error: {_one_line(str(exc))}", err=True)
        sys.exit(2)
    except Exception as exc:
        if os.environ.get("MNISTQ_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
            raise
        click.echo(
            f"mnistq: internal error: {exc.__class__.__name__}: {_one_line(str(exc))} "
            "(set MNISTQ_DEBUG=1 for the traceback)",
            err=True,
        )
        sys.exit(1)


def _one_line(text: str) -> str:
    """A message as one printable line, secrets masked, at most MESSAGE_CHARACTERS long."""
    return clip(one_line(printable(mask_text(text))), MESSAGE_CHARACTERS)


if __name__ == "__main__":  # pragma: no cover
    main()
