"""The engine's own process: the server sends it source texts, it sends back findings and facts.

Linting and fixing go through `torchlint.runner.lint_text`/`fix_text`, the CLI's own path for a file
(Python, Markdown fences, notebooks; snippet aliases), so the editor and the CLI agree on every finding.
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
from collections import OrderedDict
from collections.abc import Callable
from typing import BinaryIO

from torchlint.api import TensorBinding, inferred_facts
from torchlint.config import Settings
from torchlint.diagnostics import Diagnostic
from torchlint.engine import AnalysisTimeout
from torchlint.incremental import DocumentState
from torchlint.runner import fix_text, lint_text, time_bound  # importing it also raises the recursion limit

from .frames import HEADER, decode, encode

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


DOCUMENTS_KEPT = 32  # documents whose last run is kept for incremental analysis
_states: OrderedDict[str, DocumentState] = OrderedDict()


def _state(path: str) -> DocumentState:
    """The last run of the document `path` (a new one for a document not seen lately)."""
    state = _states.pop(path, None) or DocumentState()
    _states[path] = state
    while len(_states) > DOCUMENTS_KEPT:
        _states.popitem(last=False)
    return state


def lint(text: str, path: str, settings: Settings) -> list[Diagnostic]:
    """The findings in `text` as the CLI would report them for the file `path` (Python or Markdown by its
    suffix, or the notebook JSON the server builds from a notebook's cells); a Python file's incrementally,
    from its last run in this process."""
    outcome = lint_text(text, path, settings, _state(path))
    if outcome.error is not None:  # a text the engine cannot read at all: a TL002 for the server to show
        raise ValueError(outcome.error)
    return outcome.diagnostics


def facts(source: str, timeout: float) -> list[TensorBinding]:
    """What the engine inferred about each tensor name; none when it runs past `timeout` seconds."""
    try:
        with time_bound(timeout):
            return inferred_facts(source)
    except AnalysisTimeout:
        return []


def fix_all(text: str, path: str, settings: Settings) -> str:
    """The text with every safe fix applied (the text itself when there is none, or no time)."""
    return fix_text(text, path, settings)[1]


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
