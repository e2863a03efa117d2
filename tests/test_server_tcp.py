"""`torchlint server --tcp` ends quietly when its session ends (issue 21, item 10a): the client closing
or dropping the connection, or Ctrl-C, is the end of a debugging session, not an error with a traceback."""

from __future__ import annotations

import json
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest

HANG_GUARD = 60  # seconds: only so that a server that never ends cannot hang the suite


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen[str]) -> None:
    """Without connecting (a connection would start the one session): the port cannot be bound once the
    server listens on it."""
    deadline = time.monotonic() + HANG_GUARD
    while True:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)


def initialize(client: socket.socket) -> None:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None}}
    ).encode()
    client.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    client.settimeout(HANG_GUARD)
    assert client.recv(64).startswith(b"Content-Length:")  # the server answered: the session is up


@pytest.mark.parametrize("end", ["close", "reset", "ctrl-c", "ctrl-c-before-any-client"])
def test_tcp_session_ends_quietly(end: str) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "torchlint", "server", "--tcp", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_listening(port, process)
        if end != "ctrl-c-before-any-client":
            client = socket.create_connection(("127.0.0.1", port))
            initialize(client)
        if end == "close":
            client.shutdown(socket.SHUT_WR)
        elif end == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # linger 0: the connection is reset, not closed
        else:
            process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=HANG_GUARD)
    finally:
        process.kill()
    assert process.returncode == 0
    assert err == ""
