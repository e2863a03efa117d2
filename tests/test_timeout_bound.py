"""`per-file-timeout` bounds the parse too (issue 21, item 7).

LibCST's native parser holds the GIL, so no timer signal interrupts it: a generated expression of
20,000 terms parses for minutes (its cost grows with the square of its length). The runner ends the
worker process that is still on such a file after its time bound and goes on with a fresh one. No
duration is asserted: the subprocess timeout only keeps a regression from hanging the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HANG_GUARD = 120  # seconds; the bounded run needs a few, the unbounded parse many minutes
HUGE = "import torch\nx = torch.zeros(3)\ny = " + " + ".join(f"x * {i}" for i in range(20_000)) + "\n"
BAD = "import torch\na = torch.Tensor([1])\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.torchlint]\nper-file-timeout = 0.5\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "huge.py").write_text(HUGE)
    return tmp_path


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "torchlint", "check", "--no-cache", "--output-format", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )


def findings(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    return [(Path(d["path"]).name, d["code"]) for d in json.loads(result.stdout)]


def test_huge_expression_alone_gets_tl003(project: Path) -> None:
    result = lint(project, "pkg/huge.py")
    assert result.returncode == 1, result.stderr
    assert findings(result) == [("huge.py", "TL003")]
    assert "per-file-timeout" in result.stdout


def test_other_files_are_linted_by_a_fresh_worker(project: Path) -> None:
    for i in range(9):
        (project / "pkg" / f"m{i}.py").write_text(BAD)
    result = lint(project, "-j", "2", "pkg")
    assert result.returncode == 1, result.stderr
    assert sorted(findings(result)) == [("huge.py", "TL003")] + [(f"m{i}.py", "TL101") for i in range(9)]


def test_a_worker_that_dies_is_a_tl002_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker killed under a file (here by the rule itself, in the forked worker) costs that file only."""
    import os
    import signal

    from torchlint.cli import main
    from torchlint.rules.tl101_tensor_constructor_with_data import TensorConstructorWithData

    def die(self: object, node: object, ctx: object) -> None:
        if "# doomed" in ctx.module.code:  # type: ignore[attr-defined]
            os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(TensorConstructorWithData, "visit_Call", die)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "doomed.py").write_text(BAD + "# doomed\n")
    (tmp_path / "fine.py").write_text("import torch\nw = torch.Tensor(4, 6)\n")
    code = main(["check", "--no-cache", "--output-format", "json", "doomed.py", "fine.py"])
    found = [(d["path"], d["code"]) for d in json.loads(capsys.readouterr().out)]
    assert code == 2
    assert found == [("doomed.py", "TL002"), ("fine.py", "TL102")]
