"""The dashboard's two gates, in front of every route: read-only methods, and the token.

Read-only: GET and HEAD only; anything else gets 405 whatever the path, before any route runs.

Without a token the app serves the loopback only (`mnistq ui` refuses other addresses), and answers only
requests addressed to a loopback name, so a web page of another site cannot reach it by DNS rebinding.

The token (MNISTQ_UI_TOKEN), when set, is required on every request but the login page and its assets. A
browser presents it once on /login: the page's script sends it in an Authorization header to /auth (a GET: the
app takes no POST), which answers with an HttpOnly, SameSite=Strict cookie. The cookie holds an HMAC of the
token, never the token, and tokens are never read from query strings, which end up in logs and histories. API
clients send `Authorization: Bearer TOKEN` on each request.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

READ_METHODS = ("GET", "HEAD")
COOKIE = "mnistq_ui"
PUBLIC_PATHS = ("/login", "/auth", "/static/app.css", "/static/login.js", "/favicon.ico")
SECURITY_HEADERS = {
    # every script and style comes from the app itself; plotly's SVG charts set inline styles
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or address) only ever reaches this machine: what `mnistq ui` may listen on
    without a token, and the only names it then answers to."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(host: str) -> str:
    """The name in a Host header, without its port: "127.0.0.1:8080" -> "127.0.0.1", "[::1]:8080" -> "::1"."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def session_value(token: str) -> str:
    """What the cookie holds: an HMAC of the token, so the cookie is not the token itself."""
    return hmac.new(token.encode(), b"mnistq-ui-session", hashlib.sha256).hexdigest()


def bearer(headers: Headers) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header, or None."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class Gate:
    """ASGI middleware: 405 for methods other than GET/HEAD, 401 without the token (when one is set), and the
    security headers on every response."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self.token = token
        self.cookie = session_value(token) if token else None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send(message)

        request = Request(scope)
        refusal = self.refusal(request)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def refusal(self, request: Request) -> Response | None:
        if request.method not in READ_METHODS:
            return PlainTextResponse(
                f"{request.method} is not allowed: the dashboard is read-only (GET and HEAD)\n",
                status_code=405, headers={"allow": ", ".join(READ_METHODS)},
            )
        if self.token is None and not is_loopback(host_name(request.headers.get("host", ""))):
            # without a token the dashboard trusts that only this machine can reach it; a page of another
            # site whose name was rebound to 127.0.0.1 (DNS rebinding) would reach it too, under its own name
            return PlainTextResponse(
                "this dashboard answers only to a loopback address (127.0.0.1, ::1) or localhost without MNISTQ_UI_TOKEN\n",
                status_code=403,
            )
        if self.token is None or request.url.path in PUBLIC_PATHS or self.admitted(request):
            return None
        reason = "this dashboard needs its token (MNISTQ_UI_TOKEN)"
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"error": reason}, status_code=401, headers={"www-authenticate": "Bearer"})
        return Response(status_code=303, headers={"location": "/login"})

    def admitted(self, request: Request) -> bool:
        assert self.token is not None and self.cookie is not None
        offered = bearer(request.headers)
        if offered is not None:
            return hmac.compare_digest(offered.encode(), self.token.encode())
        return hmac.compare_digest(request.cookies.get(COOKIE, "").encode(), self.cookie.encode())
