"""`mnistq ui`: serve the dashboard until Ctrl-C.

The socket is bound here, before uvicorn starts, so a port in use is a one-line user error (exit 2) and
`--port 0` can print the port the system chose. Any address but the loopback needs MNISTQ_UI_TOKEN: the
dashboard shows every stored result to whoever can reach it.
"""

from __future__ import annotations

import socket

import click

from core.errors import SettingError, UserError
from core.settings import STORE, UI, read, uses
from db import open_store
from ui.security import is_loopback

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
MIN_TOKEN_CHARACTERS = 16


class PortError(UserError):
    """The address cannot be bound: in use, not an address of this machine, or not allowed."""


@click.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Any but 127.0.0.1/::1/localhost needs MNISTQ_UI_TOKEN.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port, printed at start).")
@uses(STORE, UI)
def ui(host: str, port: int) -> None:
    """Serve a live, read-only dashboard of the result store (MNISTQ_DATABASE_URL) in the browser:
    sweeps, leaderboards with filters, learning curves as epochs land, rungs, runs and downloads.

    \b
    Example:
      mnistq ui                  # then open http://127.0.0.1:8080/
      MNISTQ_UI_TOKEN=$(openssl rand -hex 16) mnistq ui --host 0.0.0.0
    """
    token = read("MNISTQ_UI_TOKEN")
    if not is_loopback(host) and not token:
        raise SettingError(
            "MNISTQ_UI_TOKEN", None,
            f"a token of at least {MIN_TOKEN_CHARACTERS} characters: --host {host} serves other machines, and "
            "every request must then carry it",
            problem="MNISTQ_UI_TOKEN is not set",
        )
    if token and len(token) < MIN_TOKEN_CHARACTERS:
        raise SettingError("MNISTQ_UI_TOKEN", "***", f"at least {MIN_TOKEN_CHARACTERS} characters (it is "
                           f"{len(token)})", problem=f"MNISTQ_UI_TOKEN has {len(token)} characters")
    engine = open_store()  # a missing or outdated store is a one-line error before anything listens
    listener = bind(host, port)
    import uvicorn  # the web stack loads only for this command

    from ui.app import create_app

    shown_host = f"[{host}]" if ":" in host else host
    address = f"http://{shown_host}:{listener.getsockname()[1]}/"
    login = f" (open {address}login and enter MNISTQ_UI_TOKEN)" if token else ""
    click.echo(f"mnistq ui: serving the store at {address}{login}; Ctrl-C stops", err=True)
    config = uvicorn.Config(create_app(engine, token=token), log_level="warning", access_log=False,
                            server_header=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[listener])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port), or PortError naming them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP, and without it each
    # response's body waits ~40 ms for the client's delayed ACK of its headers
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)
    except (OSError, OverflowError) as exc:
        listener.close()
        reason = "in use" if getattr(exc, "errno", None) == 98 else (getattr(exc, "strerror", None) or str(exc))
        raise PortError(f"mnistq ui: cannot listen on {host}:{port}: {reason} (choose another with --host/--port)") from None
    listener.set_inheritable(True)
    return listener
