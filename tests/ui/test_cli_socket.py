"""`mnistq ui` binds its own socket (ui.cli.bind): the connections it accepts must still get TCP_NODELAY from
asyncio, or every response's body waits ~40 ms for the client's delayed ACK of its headers."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

from ui.cli import bind


def test_connections_accepted_on_the_bound_socket_send_without_delay() -> None:
    async def accepted_nodelay() -> int:
        loop = asyncio.get_running_loop()
        found: asyncio.Future[int] = loop.create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                found.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await loop.create_server(Probe, sock=bind("127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(found, timeout=60)
        finally:
            writer.close()
            server.close()

    with ThreadPoolExecutor(1) as thread:  # a loop of its own: Playwright's sync API may run one in this thread
        assert thread.submit(asyncio.run, accepted_nodelay()).result(timeout=120) != 0
