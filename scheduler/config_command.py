"""`mnistq config`: the effective value of every setting, where it came from, and whether it is valid."""

from __future__ import annotations

import json
import os
import sys

import click

from core import settings
from core.errors import SettingError
from scheduler.tables import format_table

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.command(context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {name, value, origin, meaning}.")
def config(as_json: bool) -> None:
    """Show every MNISTQ_* setting: its effective value (passwords masked), whether it comes from the
    environment or is the default, and what it means. Exits 2 when a setting is invalid."""
    rows = settings.effective(os.environ)
    problems = [origin.removeprefix("invalid: ") for _, _, origin in rows if origin.startswith("invalid: ")]
    if not problems:
        try:  # the rules that tie two settings together, and CELERY_BROKER_URL
            settings.check([s.name for s in settings.SETTINGS], os.environ)
        except SettingError as exc:
            problems.append(exc.message)
    if as_json:
        listed = [{"name": s.name, "value": v, "origin": o, "meaning": s.meaning} for s, v, o in rows]
        click.echo(json.dumps(listed, indent=2))
    else:
        shown = [(s.name, v, "invalid" if o.startswith("invalid: ") else o) for s, v, o in rows]
        click.echo(format_table(("setting", "value", "origin"), shown))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        click.echo(f"mnistq: error: {problems[0]}{more}", err=True)
        sys.exit(2)
