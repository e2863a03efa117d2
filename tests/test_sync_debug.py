"""TL402 on a real GPU: CUDA's sync debug mode finds a sync per element in the bad fixtures, none in a good loop.

`torch.cuda.set_sync_debug_mode("error")` makes every device-to-host synchronisation raise, "warn" makes it
warn. The bad fixtures set "error" before their loop and must raise inside the statement marked TL402; with
"warn" instead they must sync more than once, all inside that statement. The good fixtures keep their "error"
regions, run under "warn" everywhere else, and must finish with no sync inside any loop or comprehension.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_format import Fixture, all_fixtures
from test_fixtures import CUDA

SYNC = "called a synchronizing CUDA operation"
TL402 = [f for f in all_fixtures() if f.code == "TL402"]
BAD = [f for f in TL402 if f.path.name.startswith("bad_")]
GOOD = [f for f in TL402 if f.path.name.startswith("good_")]

# Runs a fixture (stdin) after setting the sync debug mode (argv[2], unless "unset"); prints one JSON line with,
# for each sync warning and for the uncaught exception if any, the fixture's lines on the stack, outermost first.
_RUNNER = """
import json, sys, traceback, warnings
path, mode = sys.argv[1], sys.argv[2]
syncs = []
show = warnings.showwarning

def record(message, category, filename, lineno, file=None, line=None):
    if "synchronizing CUDA operation" not in str(message):
        return show(message, category, filename, lineno, file, line)
    syncs.append([f.lineno for f in traceback.extract_stack() if f.filename == path])

warnings.simplefilter("always")
warnings.showwarning = record
if mode != "unset":
    import torch
    torch.cuda.set_sync_debug_mode(mode)
error = None
try:
    exec(compile(sys.stdin.read(), path, "exec"), {"__name__": "__main__", "__file__": path})
except BaseException as exc:
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
    error = {"type": type(exc).__name__, "message": str(exc), "lines": lines}
print("SYNC-REPORT " + json.dumps({"syncs": syncs, "error": error}))
"""


def run_with_mode(source: str, path: Path, mode: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(path), mode],
        input=source,
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and "SYNC-REPORT " in result.stdout, result.stderr[-3000:]
    return json.loads(result.stdout.rsplit("SYNC-REPORT ", 1)[1])


def flagged_lines(fixture: Fixture, source: str) -> set[int]:
    """Every line of the statements that carry a `# expect: TL402`."""
    starts = {line for line, code in fixture.expected if code == "TL402"}
    return {
        line
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.stmt) and node.lineno in starts
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }


def loop_lines(source: str) -> set[int]:
    """Every line inside a for or while loop or a comprehension."""
    loops = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return {
        line
        for node in ast.walk(ast.parse(source))
        if isinstance(node, loops)
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }


def _needs_gpu() -> None:
    if not CUDA:
        pytest.skip("needs a CUDA GPU (torch.cuda.is_available() is False here)")


def _ids(fixtures: list[Fixture]) -> list[str]:
    return [f.id for f in fixtures]


@pytest.mark.cuda
@pytest.mark.parametrize("fixture", BAD, ids=_ids(BAD))
def test_bad_fixture_syncs_per_element(fixture: Fixture) -> None:
    _needs_gpu()
    source = fixture.path.read_text(encoding="utf-8")
    assert 'set_sync_debug_mode("error")' in source, "a bad TL402 fixture turns the sync debug mode on"
    flagged = flagged_lines(fixture, source)

    as_written = run_with_mode(source, fixture.path, "unset")
    error = as_written["error"]
    assert error and error["type"] == "RuntimeError" and SYNC in error["message"], as_written
    assert flagged & set(error["lines"]), f"raised at {error['lines']}, outside the TL402 statement {sorted(flagged)}"

    warning = source.replace('set_sync_debug_mode("error")', 'set_sync_debug_mode("warn")')
    warned = run_with_mode(warning, fixture.path, "unset")
    assert warned["error"] is None, warned
    assert len(warned["syncs"]) > 1, f"expected a sync per element, got {warned['syncs']}"
    outside = [stack for stack in warned["syncs"] if not flagged & set(stack)]
    assert not outside, f"syncs outside the TL402 statement {sorted(flagged)}: {outside}"


@pytest.mark.cuda
@pytest.mark.parametrize("fixture", GOOD, ids=_ids(GOOD))
def test_good_fixture_has_no_sync_in_a_loop(fixture: Fixture) -> None:
    _needs_gpu()
    source = fixture.path.read_text(encoding="utf-8")
    warning = source.replace('set_sync_debug_mode("default")', 'set_sync_debug_mode("warn")')
    report = run_with_mode(warning, fixture.path, "warn")
    assert report["error"] is None, report
    loops = loop_lines(source)
    in_loops = [stack for stack in report["syncs"] if loops & set(stack)]
    assert not in_loops, f"syncs inside a loop: {in_loops}"


def test_runner_traces_syncs_and_errors_to_fixture_lines(tmp_path: Path) -> None:
    """The harness itself, on a CPU: a stand-in sync warning is traced to the fixture lines that caused it."""
    path = tmp_path / "fixture.py"
    source = (
        "import warnings\n"
        "def sync():\n"
        f"    warnings.warn({SYNC!r})\n"
        "for _ in range(2):\n"
        "    sync()\n"
        "warnings.warn('unrelated')\n"
        "raise RuntimeError('boom')\n"
    )
    path.write_text(source, encoding="utf-8")
    report = run_with_mode(source, path, "unset")
    assert report == {"syncs": [[5, 3], [5, 3]], "error": {"type": "RuntimeError", "message": "boom", "lines": [7]}}
    assert loop_lines(source) == {4, 5}
    fixture = Fixture(path, "ok", "cuda", None, frozenset({(4, "TL402")}))
    assert flagged_lines(fixture, source) == {4, 5}
