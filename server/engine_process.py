"""The server's handle on its engine process (`torchlint.server.worker`): one request at a time, and a
fresh process after a crash or a timeout.

A request whose caller is cancelled (a newer edit made it stale) still runs to its answer, so
the next request never reads an answer that was meant for another one.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torchlint

from .frames import HEADER, decode, encode

GRACE_S = 2.0  # past a request's own time bound, before the process is killed
START_S = 60.0  # for a new process's imports, however loaded the machine
STOP_GRACE_S = 2.0


class EngineFailure(Exception):
    """The engine gave no answer: it raised, crashed or ran out of time. `detail` holds what is known."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a failure as seen: its caller may have stopped waiting for it."""
    if not task.cancelled():
        task.exception()


def worker_command() -> list[str]:
    """Python running `torchlint.server.worker` from this very installation, whatever folder the editor
    started us in (a `torchlint` folder there must not shadow it)."""
    root = str(Path(torchlint.__file__).resolve().parent.parent)
    code = f"import sys; sys.path[0] = {root!r}; from torchlint.server.worker import main; main()"
    return [sys.executable, "-c", code]


class EngineProcess:
    def __init__(self, command: Sequence[str] | None = None, grace_s: float = GRACE_S) -> None:
        self.command = list(command or worker_command())
        self.grace_s = grace_s
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    @property
    def busy(self) -> bool:
        """A request (a lint, say) is being answered, or waits for the process."""
        return self._lock.locked()

    async def start(self) -> None:
        """Start the process ahead of the first request (imports take a moment)."""
        async with self._lock:
            await self._running()

    async def _running(self) -> asyncio.subprocess.Process:
        """The process, started (and its imports done) if it was not running."""
        if self._process is not None and self._process.returncode is None:
            return self._process
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            )
        except OSError as error:
            raise EngineFailure(f"the analysis process could not start: {error}") from error
        try:
            await asyncio.wait_for(self._read(process), START_S)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
            await self._kill(process)
            raise EngineFailure(f"the analysis process did not start ({_exit_reason(process.returncode)})") from error
        self._process = process
        return process

    async def call(self, kind: str, *args: object, within_s: float) -> Any:
        """The worker's answer to one request; EngineFailure when there is none within `within_s`
        seconds (plus a grace period), the process being killed then."""
        await self._lock.acquire()
        exchange = asyncio.ensure_future(self._exchange(kind, args, within_s + self.grace_s))  # releases the lock
        exchange.add_done_callback(_retrieve)
        return await asyncio.shield(exchange)

    async def _exchange(self, kind: str, args: tuple[object, ...], limit_s: float) -> Any:
        try:
            process = await self._running()
            try:
                payload = await asyncio.wait_for(self._ask(process, encode((kind, args))), limit_s)
            except asyncio.TimeoutError as error:
                await self._kill(process)
                raise EngineFailure(f"the analysis gave no answer within {limit_s:g} s and was stopped") from error
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                code = await process.wait()
                raise EngineFailure(f"the analysis process stopped ({_exit_reason(code)})") from error
            ok, result = decode(payload)  # type: ignore[misc]
            if not ok:
                raise EngineFailure("the analysis raised an exception", result)
            return result
        finally:
            self._lock.release()

    @classmethod
    async def _ask(cls, process: asyncio.subprocess.Process, request: bytes) -> bytes:
        assert process.stdin is not None
        process.stdin.write(request)
        await process.stdin.drain()
        return await cls._read(process)

    @staticmethod
    async def _read(process: asyncio.subprocess.Process) -> bytes:
        assert process.stdout is not None
        (size,) = HEADER.unpack(await process.stdout.readexactly(HEADER.size))
        return await process.stdout.readexactly(size)

    @staticmethod
    async def _kill(process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.kill()
        await process.wait()

    async def stop(self) -> None:
        """End the process: it exits at the end of its input; killed if it does not."""
        async with self._lock:
            process, self._process = self._process, None
            if process is None or process.returncode is not None:
                return
            assert process.stdin is not None
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            except asyncio.TimeoutError:
                await self._kill(process)
