"""The engine's own process: the server sends it source texts, it sends back findings and facts.

Each request runs under the CLI's per-file time bound (TL003 past it). Whatever still goes wrong
beyond the engine's own guards (a native crash in the parser, a hang the time bound cannot
interrupt) costs this process and a TL002 diagnostic, never the server; and the engine's CPU time
stays off the server's event loop.

After a first `"ready"` frame, requests on stdin are `(kind, args)`; answers on stdout are
`(True, result)` or `(False, traceback text)`, framed as `server.frames` says.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import BinaryIO, TypeVar

from server.configuration import Plan
from server.frames import HEADER, decode, encode
from torchlint.api import TensorBinding, inferred_facts
from torchlint.diagnostics import Diagnostic
from torchlint.engine import AnalysisTimeout, analysis_limit, lint_source
from torchlint.fixer import fix_source
from torchlint.rules import RULES_BY_CODE
from torchlint.runner import time_bound  # importing it also raises the recursion limit, as for the CLI

T = TypeVar("T")
READY = "ready"  # the first frame: the imports are done, time bounds can start


def write_frame(stream: BinaryIO, payload: object) -> None:
    stream.write(encode(payload))
    stream.flush()


def read_frame(stream: BinaryIO) -> object | None:
    """The next frame, or None when the server has gone."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return decode(data)


def _bounded(timeout: float, work: Callable[[], T], late: Callable[[], T]) -> T:
    """`work()`, or `late()` when it runs past `timeout` seconds (the CLI's per-file time bound)."""
    try:
        with time_bound(timeout):
            return work()
    except AnalysisTimeout:
        return late()


def lint(source: str, path: str, plan: Plan) -> list[Diagnostic]:
    rules = [RULES_BY_CODE[code] for code in plan.codes]
    return _bounded(
        plan.timeout,
        lambda: lint_source(source, path, rules, options=dict(plan.options)),
        lambda: [analysis_limit(path, f"it took longer than {plan.timeout:g} s (per-file-timeout)")],
    )


def facts(source: str, timeout: float) -> list[TensorBinding]:
    return _bounded(timeout, lambda: inferred_facts(source), list)


def fix_all(source: str, path: str, plan: Plan) -> str:
    """The source with every safe fix applied (the text itself when there is none, or no time)."""
    rules = [RULES_BY_CODE[code] for code in plan.codes]
    return _bounded(
        plan.timeout,
        lambda: fix_source(source, path, rules, unsafe=False, options=dict(plan.options)).source,
        lambda: source,
    )


HANDLERS: dict[str, Callable[..., object]] = {"lint": lint, "facts": facts, "fix_all": fix_all}


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    write_frame(answers, READY)
    while (request := read_frame(requests)) is not None:
        kind, args = request  # type: ignore[misc]
        try:
            answer: tuple[bool, object] = (True, HANDLERS[kind](*args))
        except Exception:  # reported to the server, which turns it into a TL002 diagnostic
            answer = (False, traceback.format_exc())
        write_frame(answers, answer)


def main() -> None:
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the frames
    serve(sys.stdin.buffer, answers)
