"""Entry point of `torchlint server`."""

from __future__ import annotations

import logging
import os
import sys
from typing import BinaryIO

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


def start(tcp_port: int | None = None, host: str = "127.0.0.1") -> None:
    """Serve one client over stdio, or over TCP on `host:tcp_port` (for debugging)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="torchlint server: %(name)s: %(message)s")
    server = create_server()
    if tcp_port is None:
        server.start_io(sys.stdin.buffer, _protocol_output())
    else:
        server.start_tcp(host, tcp_port)
