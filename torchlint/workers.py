"""Worker processes that lint files and can be ended: the only bound on work that a timer signal cannot
interrupt (LibCST's native parser holds the GIL, so a huge expression parses for as long as it takes).

Each worker reads tasks from its pipe one at a time and says when it starts analysing one (after the read
and the cache look-up); a file still in analysis `per-file-timeout` plus a grace after that is a TL003,
its worker is ended and a fresh one takes its place. Within the bound, the worker's own timer signal
reports TL003 itself and the worker lives on.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING

from torchlint.diagnostics import Diagnostic, Position, Severity

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

    from torchlint.runner import FileOutcome, FileTask

GRACE = 1.0  # seconds past the timeout before a worker is ended: its own timer gets the first chance
_STARTED, _DONE = "started", "done"


def _context() -> BaseContext:
    """fork where there is one: a worker starts in milliseconds and shares what the parent imported."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _serve(conn: Connection) -> None:
    from torchlint.runner import lint_file

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the workers
    while True:
        try:
            item = conn.recv()
        except EOFError:
            return
        if item is None:
            return
        index, task = item
        outcome = lint_file(task, started=lambda i=index: conn.send((_STARTED, i, None)))
        conn.send((_DONE, index, outcome))


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    assigned: deque[int] = field(default_factory=deque)  # task indices in the order the worker takes them
    deadline: float | None = None  # set while the first assigned task is being analysed


def _start(context: BaseContext) -> _Worker:
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child,), daemon=True)
    process.start()
    child.close()
    return _Worker(process, parent)


def _end(worker: _Worker) -> None:
    worker.process.kill()
    worker.process.join()
    worker.conn.close()


def run(tasks: list[FileTask], jobs: int, queued: int = 2) -> Iterator[FileOutcome]:
    """Each task's outcome, in the order they finish, from `jobs` workers with up to `queued` tasks each."""
    if not tasks:
        return
    context = _context()
    pending = deque(range(len(tasks)))
    workers = [_start(context) for _ in range(min(jobs, len(tasks)))]
    try:
        for worker in workers:
            _feed(worker, tasks, pending, queued)
        while any(w.assigned for w in workers):
            busy = [w for w in workers if w.assigned]
            deadlines = [w.deadline for w in busy if w.deadline is not None]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = wait([w.conn for w in busy], timeout)
            for worker in busy:
                if worker.conn in ready:
                    outcome = _receive(worker, tasks)
                    if outcome is not None:
                        yield outcome
                elif worker.deadline is not None and time.monotonic() >= worker.deadline:
                    yield _timed_out(tasks[worker.assigned[0]])
                    worker.assigned.popleft()
                    _replace(workers, worker, context, pending)
                    continue
                if not worker.process.is_alive() and worker.assigned:
                    yield _died(tasks[worker.assigned.popleft()], worker.process.exitcode)
                    _replace(workers, worker, context, pending)
            for worker in workers:
                _feed(worker, tasks, pending, queued)
    finally:
        for worker in workers:
            _end(worker)


def _receive(worker: _Worker, tasks: list[FileTask]) -> FileOutcome | None:
    try:
        kind, index, outcome = worker.conn.recv()
    except (EOFError, OSError):  # the worker died; the caller sees it is not alive
        worker.process.join()
        return None
    if kind == _STARTED:
        worker.deadline = time.monotonic() + tasks[index].timeout + GRACE
        return None
    worker.assigned.popleft()
    worker.deadline = None
    return outcome


def _replace(workers: list[_Worker], worker: _Worker, context: BaseContext, pending: deque[int]) -> None:
    """End `worker` and start a fresh one; the tasks it had not begun go back to the queue, in order."""
    _end(worker)
    pending.extendleft(reversed(worker.assigned))
    workers[workers.index(worker)] = _start(context)


def _feed(worker: _Worker, tasks: list[FileTask], pending: deque[int], queued: int) -> None:
    while pending and len(worker.assigned) < queued:
        index = pending.popleft()
        worker.assigned.append(index)
        worker.conn.send((index, tasks[index]))


def _timed_out(task: FileTask) -> FileOutcome:
    from torchlint.engine import analysis_limit
    from torchlint.runner import FileOutcome

    return FileOutcome(
        task.path, [analysis_limit(task.path, f"it took longer than {task.timeout:g} s (per-file-timeout)")]
    )


def _died(task: FileTask, exitcode: int | None) -> FileOutcome:
    from torchlint.diagnostics import INTERNAL_ERROR_CODE
    from torchlint.runner import FileOutcome

    how = f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    start = Position(1, 1)
    message = f"Internal error while analysing this file: its worker process ended ({how})"
    return FileOutcome(
        task.path, [Diagnostic(task.path, INTERNAL_ERROR_CODE, "internal-error", message, Severity.ERROR, start, start)]
    )
