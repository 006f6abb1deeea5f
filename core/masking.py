"""Secrets never reach a message: passwords in URLs (well-formed or mistyped) and in text that quotes them.

    mask_url("redis://:s3cret@queue:6379/0")   -> "redis://:***@queue:6379/0"
    mask_url("redis:/:s3cret@queue")           -> "redis:/:***@queue"       (a typo is masked too)
    mask_url("s3cret@queue")                   -> "***@queue"

Anything before the last "@" that follows the scheme is user information: the user name is kept when it is
plainly "user:password", everything else there is replaced. `password=` and similar query parameters are
masked as well.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

SECRET_URL_SETTINGS = ("MNISTQ_DATABASE_URL", "MNISTQ_BROKER_URL", "CELERY_BROKER_URL")
SECRET_TEXT_SETTINGS = ("MNISTQ_UI_TOKEN",)  # secret as a whole
MASK = "***"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*(?::/*|/+)")
_QUERY_SECRET = re.compile(r"(?i)([?&;](?:password|passwd|pwd|pass|secret|token)=)[^&;#\s]*")


def mask_url(url: object) -> str:
    """`url` (any object: a str, a SQLAlchemy URL, a typo) as text with its password replaced by ***."""
    text = _render(url) if hasattr(url, "render_as_string") else str(url)
    text = _QUERY_SECRET.sub(rf"\g<1>{MASK}", text)
    span = _userinfo(text)
    if span is None:
        return text
    start, at, proper_scheme = span
    user, colon, _ = text[start:at].partition(":")
    plain_user = bool(user) and not any(c in user for c in "/?#@")
    if plain_user and not colon and proper_scheme:
        return text  # "scheme://user@host": a user name alone is no secret
    kept = f"{user}:" if colon and (plain_user or not user) else ""
    return f"{text[:start]}{kept}{MASK}{text[at:]}"


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every URL-like word masked and every one of `secrets` (and the passwords of the URL
    settings in the environment) replaced by ***."""
    words = [mask_url(word) if "@" in word or "=" in word else word for word in text.split(" ")]
    masked = " ".join(words)
    for secret in sorted({*secrets, *environment_secrets()}, key=len, reverse=True):
        if secret:
            masked = masked.replace(secret, MASK)
    return masked


def url_password(url: str) -> str | None:
    """The password part of `url`'s user information (however mistyped the URL), or None."""
    span = _userinfo(url)
    if span is None:
        return None
    start, at, _ = span
    user, colon, password = url[start:at].partition(":")
    return password if colon else (user or None)


def environment_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """Passwords of the URL settings and the secret text settings that are set (at least 3 characters, so
    masking stays meaningful)."""
    env = os.environ if env is None else env
    found = [url_password(env.get(name, "")) for name in SECRET_URL_SETTINGS]
    found += [env.get(name, "").strip() for name in SECRET_TEXT_SETTINGS]
    return [p for p in found if p and len(p) >= 3]


def _userinfo(text: str) -> tuple[int, int, bool] | None:
    """(start, end, whether the scheme is a proper "scheme://") of the user information in `text`: from
    after the scheme (if any) to the last "@". None without an "@"."""
    at = text.rfind("@")
    if at < 0:
        return None
    scheme = _SCHEME.match(text)
    if scheme is None or scheme.end() > at:
        return 0, at, False
    return scheme.end(), at, scheme.group().endswith("://")


def _render(url: object) -> str:
    return url.render_as_string(hide_password=True)  # type: ignore[attr-defined]
