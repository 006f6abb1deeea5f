"""The one table of `MNISTQ_*` runtime settings: name, type, default, bounds and meaning of each.

Every command checks the settings it uses before it stores anything or connects anywhere
(`check(WORKER, env)`), and reads each one through `read(name)`. `mnistq config` prints the effective values
(secrets masked), and a test keeps the README's environment table equal to this one. Variables that only
tests, benchmarks or the compose file read are not settings of mnistq and are not listed here.
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.errors import SettingError
from core.masking import MASK, mask_url
from core.text import clip, control_characters

INTEGER, NUMBER, TEXT, URL, PATH, FLAG = "integer", "number", "text", "url", "path", "flag"


@dataclass(frozen=True)
class Setting:
    """One environment variable. `default` is the value when it is unset (None: unset means off, or the
    value is computed, as `default_text` says); `minimum` bounds numbers; `schemes` lists a URL's schemes."""

    name: str
    kind: str
    default: Any
    meaning: str
    default_text: str = ""
    minimum: float | None = None
    unit: str = ""
    schemes: tuple[str, ...] = ()
    example: str = ""  # a URL setting's accepted form, for error messages
    secret: bool = False

    @property
    def shown_default(self) -> str:
        """The default as the README and `mnistq config` show it."""
        return self.default_text or (f"{self.default:,}" if isinstance(self.default, int) else str(self.default))

    @property
    def expected(self) -> str:
        """What a value must be, for error messages."""
        if self.kind == INTEGER:
            text = "a positive integer" if self.minimum == 1 else f"an integer >= {self.minimum:g}"
        elif self.kind == NUMBER:
            text = f"a number >= {self.minimum:g}" if self.minimum else "a positive number"
        elif self.kind == URL:
            text = f"a URL such as {self.example}"
        elif self.kind == PATH:
            text = "a folder (or a path where one can be created)"
        elif self.kind == FLAG:
            text = "1, true, yes, 0, false or no"
        else:
            text = "one line of printable text"
        return f"{text} ({self.unit})" if self.unit else text


_DB_SCHEMES = ("sqlite", "postgresql+psycopg", "postgresql", "postgres", "sqlite+pysqlite")
_BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")

SETTINGS: tuple[Setting, ...] = (
    Setting("MNISTQ_DATABASE_URL", URL, "sqlite:///mnistq.db",
            "result store: SQLite (WAL) or `postgresql+psycopg://USER:PASSWORD@HOST:5432/DB`",
            default_text="`sqlite:///mnistq.db`", schemes=_DB_SCHEMES,
            example="sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB", secret=True),
    Setting("MNISTQ_BROKER_URL", URL, None, "Celery broker, `redis://HOST:6379/0`; unset, `submit` trains locally",
            default_text="unset: local mode", schemes=_BROKER_SCHEMES, example="redis://HOST:6379/0", secret=True),
    Setting("MNISTQ_LEASE_SECONDS", NUMBER, 120.0, "a running run without a heartbeat this long lost its worker",
            default_text="120", minimum=1, unit="seconds"),
    Setting("MNISTQ_MAX_ATTEMPTS", INTEGER, 3, "tries per run before it ends `failed`", minimum=1),
    Setting("MNISTQ_HEARTBEAT_SECONDS", NUMBER, None, "how often a worker renews its lease between epochs",
            default_text="a quarter of the lease", minimum=0.1, unit="seconds"),
    Setting("MNISTQ_CHECKPOINT_EVERY", INTEGER, 5, "epochs between stored checkpoints (0: none)", minimum=0,
            unit="epochs"),
    Setting("MNISTQ_RESEND_SECONDS", NUMBER, 120.0,
            "`mnistq scheduler` re-sends a queued run unclaimed this long, once its queue is empty",
            default_text="120", minimum=0.1, unit="seconds"),
    Setting("MNISTQ_WORKER_HOST", TEXT, None, "host part of worker names; unique per host and process-id namespace",
            default_text="the host name"),
    Setting("MNISTQ_WORKER_CONCURRENCY", INTEGER, None, "`mnistq worker` processes",
            default_text="the cores", minimum=1),
    Setting("MNISTQ_BLAS_THREADS", INTEGER, 1, "BLAS threads per worker process (keep processes × threads ≤ cores)",
            default_text="1 (local mode: cores ÷ processes)", minimum=1),
    Setting("MNISTQ_WORKER_MAX_MEMORY_KIB", INTEGER, 4 * 1024 * 1024,
            "a worker process grown past this is replaced after its task", default_text="4 GiB", minimum=1,
            unit="a size in KiB"),
    Setting("MNISTQ_TASK_SOFT_LIMIT", INTEGER, 6 * 3600, "a run still training this long fails (Celery soft limit)",
            default_text="6 h", minimum=1, unit="a number of seconds"),
    Setting("MNISTQ_TASK_HARD_LIMIT", INTEGER, 6 * 3600 + 5 * 60,
            "its worker process is killed this long after the start (Celery hard limit)",
            default_text="6 h 5 min", minimum=1, unit="a number of seconds"),
    Setting("MNISTQ_MAX_GRID", INTEGER, 10_000, "runs one spec may expand to", minimum=1),
    Setting("MNISTQ_MAX_WIDTH", INTEGER, 4096, "units per hidden layer", minimum=1),
    Setting("MNISTQ_MAX_DEPTH", INTEGER, 16, "hidden layers", minimum=1),
    Setting("MNISTQ_MAX_EPOCHS", INTEGER, 1000, "epochs per run", minimum=1),
    Setting("MNISTQ_MAX_BATCH_SIZE", INTEGER, 65536, "samples per step", minimum=1),
    Setting("MNISTQ_DATA_DIR", PATH, "~/.cache/mnistq", "downloaded datasets (`mnist`, `fashion-mnist`)",
            default_text="`~/.cache/mnistq`"),
    Setting("MNISTQ_MNIST_URL", URL, "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "where `mnist` is downloaded from", default_text="Google's CVDF mirror",
            schemes=("https", "http", "file"), example="https://HOST/PATH/"),
    Setting("MNISTQ_FASHION_MNIST_URL", URL, "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "where `fashion-mnist` is downloaded from when Debian's copy is not installed",
            default_text="Zalando's S3 bucket", schemes=("https", "http", "file"), example="https://HOST/PATH/"),
    Setting("MNISTQ_UI_TOKEN", TEXT, None,
            "the token `mnistq ui` asks every request for; required to listen on any address but 127.0.0.1",
            default_text="unset: 127.0.0.1 only", secret=True),
    Setting("MNISTQ_DEBUG", FLAG, False, "print the traceback of an internal error", default_text="off"),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}

# The settings each kind of command uses (a command checks the union of its groups at start).
STORE = ("MNISTQ_DATABASE_URL",)
QUEUE = ("MNISTQ_BROKER_URL",)
LIMITS = ("MNISTQ_MAX_GRID", "MNISTQ_MAX_WIDTH", "MNISTQ_MAX_DEPTH", "MNISTQ_MAX_EPOCHS", "MNISTQ_MAX_BATCH_SIZE")
DATA = ("MNISTQ_DATA_DIR", "MNISTQ_MNIST_URL", "MNISTQ_FASHION_MNIST_URL")
LEASE = ("MNISTQ_LEASE_SECONDS", "MNISTQ_MAX_ATTEMPTS")
UI = ("MNISTQ_UI_TOKEN",)
REAPER = (*LEASE, "MNISTQ_RESEND_SECONDS")
TRAINING = (
    *LEASE, "MNISTQ_HEARTBEAT_SECONDS", "MNISTQ_CHECKPOINT_EVERY", "MNISTQ_WORKER_HOST", "MNISTQ_BLAS_THREADS",
    *LIMITS, *DATA,
)
CELERY = ("MNISTQ_WORKER_CONCURRENCY", "MNISTQ_WORKER_MAX_MEMORY_KIB", "MNISTQ_TASK_SOFT_LIMIT", "MNISTQ_TASK_HARD_LIMIT")

CELERY_BROKER_ENV = "CELERY_BROKER_URL"  # Celery reads it before its own configuration
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def read(name: str, env: Mapping[str, str] | None = None) -> Any:
    """The typed value of setting `name` from `env` (default os.environ): its default when unset or empty.

    Raises SettingError naming the variable, the value (masked when secret) and what was expected.
    """
    setting = BY_NAME[name]
    env = os.environ if env is None else env
    raw = env.get(name, "").strip()
    if not raw:
        return _default(setting, env)
    return _parse(setting, raw)


def check(names: Iterable[str], env: Mapping[str, str] | None = None) -> None:
    """Read every setting in `names`, then check the rules that tie two of them together."""
    env = os.environ if env is None else env
    wanted = set(names)
    for name in (s.name for s in SETTINGS if s.name in wanted):
        read(name, env)
    if {"MNISTQ_LEASE_SECONDS", "MNISTQ_HEARTBEAT_SECONDS"} <= wanted:
        lease, beat = read("MNISTQ_LEASE_SECONDS", env), read("MNISTQ_HEARTBEAT_SECONDS", env)
        if beat >= lease:
            raise SettingError(
                "MNISTQ_HEARTBEAT_SECONDS", beat, f"less than MNISTQ_LEASE_SECONDS = {lease:g} (a lease must "
                "outlive the time between heartbeats)", problem=f"MNISTQ_HEARTBEAT_SECONDS = {beat:g}",
            )
    if {"MNISTQ_TASK_SOFT_LIMIT", "MNISTQ_TASK_HARD_LIMIT"} <= wanted:
        soft, hard = read("MNISTQ_TASK_SOFT_LIMIT", env), read("MNISTQ_TASK_HARD_LIMIT", env)
        if soft >= hard:
            raise SettingError(
                "MNISTQ_TASK_SOFT_LIMIT", soft,
                "the soft limit below the hard one (the task needs time to record its failure)",
                problem=f"MNISTQ_TASK_SOFT_LIMIT = {soft} >= MNISTQ_TASK_HARD_LIMIT = {hard}",
            )
    if "MNISTQ_BROKER_URL" in wanted:
        check_celery_broker(env)


def uses(*groups: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a command that uses the settings in `groups`: they are checked before its body runs, so a bad
    value stops it before it stores anything or connects anywhere."""
    names = [name for group in groups for name in group]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def checked(*args: Any, **kwargs: Any) -> Any:
            check(names)
            return command(*args, **kwargs)

        return checked

    return decorate


def check_celery_broker(env: Mapping[str, str]) -> None:
    """Celery would take CELERY_BROKER_URL over the broker mnistq was given: refuse one that disagrees."""
    celery = env.get(CELERY_BROKER_ENV, "").strip()
    ours = env.get("MNISTQ_BROKER_URL", "").strip()
    if celery and celery != ours:
        raise SettingError(
            CELERY_BROKER_ENV, mask_url(celery),
            f"the same URL as MNISTQ_BROKER_URL ({mask_url(ours) if ours else 'unset'}), or unset: mnistq's "
            "commands use MNISTQ_BROKER_URL, and Celery would use CELERY_BROKER_URL instead",
            problem=f"{CELERY_BROKER_ENV} = {clip(repr(mask_url(celery)))}",
        )


def effective(env: Mapping[str, str] | None = None) -> list[tuple[Setting, str, str]]:
    """(setting, value shown, origin) for every setting: origin is "environment", "default" or the error
    message of an invalid value. Secrets are masked."""
    env = os.environ if env is None else env
    rows = []
    for setting in SETTINGS:
        raw = env.get(setting.name, "").strip()
        try:
            value = read(setting.name, env)
        except SettingError as exc:
            if exc.key == setting.name:
                rows.append((setting, _shown(setting, raw), f"invalid: {exc.message}"))
            else:  # a default computed from another setting, itself invalid
                rows.append((setting, setting.shown_default, "default"))
            continue
        shown = _shown(setting, raw) if raw else _shown_value(setting, value)
        rows.append((setting, shown, "environment" if raw else "default"))
    return rows


def _shown_value(setting: Setting, value: Any) -> str:
    if value is None:
        return setting.shown_default
    if setting.kind == FLAG:
        return "on" if value else "off"
    return _shown(setting, f"{value:g}" if isinstance(value, float) else str(value))


def markdown_table() -> str:
    """The README's environment table: one row per setting, in table order."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    rows += [f"| `{s.name}` | {s.shown_default} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(rows)


def _shown(setting: Setting, raw: str) -> str:
    return clip(_masked(setting, raw))


def _masked(setting: Setting, raw: str) -> str:
    """A secret as messages show it: a URL's password masked, any other secret (a token) masked whole."""
    if not setting.secret:
        return raw
    return mask_url(raw) if setting.kind == URL else MASK


def _default(setting: Setting, env: Mapping[str, str]) -> Any:
    if setting.name == "MNISTQ_HEARTBEAT_SECONDS":
        return read("MNISTQ_LEASE_SECONDS", env) / 4
    if setting.name == "MNISTQ_WORKER_HOST":
        return socket.gethostname()
    if setting.name == "MNISTQ_WORKER_CONCURRENCY":
        return os.cpu_count() or 1
    if setting.kind == PATH:
        return Path(setting.default).expanduser()
    return setting.default


def _parse(setting: Setting, raw: str) -> Any:
    shown = _masked(setting, raw)

    def bad(expected: str | None = None) -> SettingError:
        return SettingError(setting.name, shown, expected or setting.expected)

    if control_characters(raw):
        raise bad(f"{setting.expected}, without control characters")
    if setting.kind in (INTEGER, NUMBER):
        try:
            value: Any = int(raw) if setting.kind == INTEGER else float(raw)
        except ValueError:
            raise bad() from None
        if value != value or value in (float("inf"), float("-inf")) or value < (setting.minimum or 0):
            raise bad()
        if setting.kind == NUMBER and not setting.minimum and value <= 0:
            raise bad()
        return value
    if setting.kind == URL:
        return _url(setting, raw, bad)
    if setting.kind == PATH:
        path = Path(raw).expanduser()
        if path.exists() and not path.is_dir():
            raise bad("a folder, not a file")
        return path
    if setting.kind == FLAG:
        if raw.lower() not in (*_TRUE, *_FALSE):
            raise bad()
        return raw.lower() in _TRUE
    if len(raw) > 200:
        raise bad("at most 200 characters")
    return raw


def _url(setting: Setting, raw: str, bad: Any) -> str:
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else None
    if scheme is None:
        raise bad()
    if scheme not in setting.schemes:
        raise bad(f"{setting.expected} (unsupported backend {scheme!r})")
    try:
        urlsplit(raw).port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise bad(f"{setting.expected} with a numeric port from 1 to 65535") from None
    return raw
