"""Entry point of `torchlint server`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from typing import BinaryIO

from pygls.io_ import run_async
from pygls.lsp.server import LanguageServer

from .features import create_server


def _protocol_output() -> BinaryIO:
    """A private copy of stdout for the protocol; stdout itself then goes to stderr, so a stray print
    (ours, a library's, native code's) cannot corrupt a message, and whatever flushes stdout at exit
    finds it open after pygls has closed the protocol stream."""
    try:
        descriptor, errors = sys.stdout.fileno(), sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # not backed by file descriptors: use stdout as it is
        return sys.stdout.buffer
    output = os.fdopen(os.dup(descriptor), "wb")
    sys.stdout.flush()
    os.dup2(errors, descriptor)
    return output


class _EndOnReset:
    """A client's stream where a dropped connection reads as the end of the stream, as a closed one does."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    async def readline(self) -> bytes:
        try:
            return await self._reader.readline()
        except ConnectionError:
            return b""

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._reader.readexactly(n)
        except (ConnectionError, asyncio.IncompleteReadError):
            return b""


def _start_tcp(server: LanguageServer, host: str, port: int) -> None:
    """pygls' `start_tcp`, except that the end of the session is quiet: the client closing or dropping the
    connection, or Ctrl-C, ends the server without a traceback."""
    server._stop_event = stop = threading.Event()

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.protocol.set_writer(writer)  # type: ignore[arg-type]
        with contextlib.suppress(asyncio.CancelledError):  # Ctrl-C cancels the session: the end, not an error
            await run_async(stop, _EndOnReset(reader), server.protocol, error_handler=server.report_server_error)
        server.shutdown()

    async def serve() -> None:
        server._server = await asyncio.start_server(session, host, port)
        async with server._server:
            await server._server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(serve())


def start(tcp_port: int | None = None, host: str = "127.0.0.1") -> None:
    """Serve one client over stdio, or over TCP on `host:tcp_port` (for debugging)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="torchlint server: %(name)s: %(message)s")
    server = create_server()
    if tcp_port is None:
        server.start_io(sys.stdin.buffer, _protocol_output())
    else:
        _start_tcp(server, host, tcp_port)
