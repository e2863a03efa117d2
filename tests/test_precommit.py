"""The pre-commit hook, run by real pre-commit from this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BAD = "import torch\n\nlabels = torch.Tensor([0, 1, 1])\n"
GOOD = "import torch\n\nlabels = torch.tensor([0, 1, 1])\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_hook_fails_on_findings_and_passes_when_fixed(tmp_path: Path) -> None:
    """Builds the hook's environment with pip from PyPI (needs the package index: hence `slow`)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "model.py").write_text(BAD)
    (repo / "build").mkdir()
    (repo / "build" / "generated.py").write_text(BAD)  # excluded by default: --force-exclude must skip it
    _git(repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PRE_COMMIT_COLOR": "never"}
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "torchlint", "--all-files"]

    failed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "model.py:3:10: TL101" in output
    assert "generated.py" not in output

    (repo / "model.py").write_text(GOOD)
    _git(repo, "add", ".")
    passed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert passed.returncode == 0, passed.stdout + passed.stderr
