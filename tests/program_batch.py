"""Run many small programs under torch in one Python process: each in a fresh namespace, its outcome recorded.

Starting Python and importing torch costs over a second; the fix-combination test runs a few
hundred programs, so one child runs them all. Each program may come with `calls`, statements
run one by one in its namespace afterwards (driving the functions an example file only defines).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

# Reads a JSON list of {"path", "source", "calls"} from stdin; writes one JSON list of outcome lists.
_RUNNER = r"""
import contextlib, io, json, os, sys, traceback
import torch

def outcome(path, stdout, run):
    try:
        with contextlib.redirect_stdout(stdout):
            run()
    except BaseException as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == path]
        return {"type": type(error).__name__, "message": str(error)[:4000],
                "line": frames[-1].lineno if frames else None, "stdout": stdout.getvalue()}
    return {"type": None, "message": "", "line": None, "stdout": stdout.getvalue()}

results = []
for program in json.loads(sys.stdin.read()):
    path = program["path"]
    torch.manual_seed(0)
    namespace = {"__name__": "__main__", "__file__": path}
    code = compile(program["source"], path, "exec")
    ran = [outcome(path, io.StringIO(), lambda: exec(code, namespace))]
    for call in program["calls"]:
        torch.manual_seed(0)
        ran.append(outcome(path, io.StringIO(), lambda: exec(call, namespace)))
    results.append(ran)
print(json.dumps(results))
"""


@dataclass(frozen=True)
class Outcome:
    """How one program (or one call) ended: the exception's type, message and line in the program, and its output."""

    type: str | None
    message: str
    line: int | None
    stdout: str


@dataclass(frozen=True)
class Program:
    path: str
    source: str
    calls: tuple[str, ...] = ()


def run_batch(programs: list[Program], cwd: str) -> list[list[Outcome]]:
    """Every program's outcome, then each of its calls' outcomes, in order."""
    payload = json.dumps([{"path": p.path, "source": p.source, "calls": list(p.calls)} for p in programs])
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER], input=payload, cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"the batch runner failed:\n{result.stderr[-3000:]}"
    lines = result.stdout.strip().splitlines()
    return [[Outcome(**o) for o in ran] for ran in json.loads(lines[-1])]
