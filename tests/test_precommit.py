"""The pre-commit hook, run by real pre-commit: the README's snippets and this checkout's hook manifest."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BAD = "import torch\n\nlabels = torch.Tensor([0, 1, 1])\n"
GOOD = "import torch\n\nlabels = torch.tensor([0, 1, 1])\n"
PLACEHOLDER = "file:///path/to/torchlint"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def readme_snippet(kind: str) -> str:
    """The YAML block that follows the README's `<!-- pre-commit: KIND ... -->` marker."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- pre-commit: {kind} .*?-->\n```yaml\n(.*?)```", readme, re.S)
    assert match, f"no pre-commit {kind} snippet in README.md"
    return match.group(1)


def _repo(tmp_path: Path, config: str | None) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "model.py").write_text(BAD)
    (repo / "build").mkdir()
    (repo / "build" / "generated.py").write_text(BAD)  # excluded by default: --force-exclude must skip it
    if config is not None:
        (repo / ".pre-commit-config.yaml").write_text(config)
    _git(repo, "add", ".")
    return repo


def _fails_then_passes(repo: Path, tmp_path: Path, command: list[str]) -> None:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PRE_COMMIT_COLOR": "never",
        # `language: system` finds the torchlint of the environment running the tests.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    failed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "model.py:3:10: TL101" in output
    assert "generated.py" not in output

    (repo / "model.py").write_text(GOOD)
    _git(repo, "add", ".")
    passed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_readme_system_snippet(tmp_path: Path) -> None:
    repo = _repo(tmp_path, readme_snippet("system"))
    _fails_then_passes(repo, tmp_path, [sys.executable, "-m", "pre_commit", "run", "--all-files"])


@pytest.mark.slow
def test_readme_python_snippet(tmp_path: Path) -> None:
    """pre-commit builds the hook's environment with pip (libcst, pygls and rich from the package index)."""
    snippet = readme_snippet("python")
    assert PLACEHOLDER in snippet
    repo = _repo(tmp_path, snippet.replace(PLACEHOLDER, ROOT.as_uri()))
    _fails_then_passes(repo, tmp_path, [sys.executable, "-m", "pre_commit", "run", "--all-files"])


@pytest.mark.slow
def test_hook_manifest_with_try_repo(tmp_path: Path) -> None:
    """The remote form's manifest (`.pre-commit-hooks.yaml`), tried from this checkout."""
    repo = _repo(tmp_path, None)
    _fails_then_passes(
        repo, tmp_path, [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "torchlint", "--all-files"]
    )


def test_readme_snippets_match_the_manifest() -> None:
    manifest = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    for kind in ("system", "python"):
        snippet = readme_snippet(kind)
        for key in ("entry", "types_or", "require_serial"):
            (line,) = re.findall(rf"^\s*-?\s*{key}: .*$", manifest, re.M)
            assert line.strip(" -") in snippet, f"{kind} snippet: {line.strip()!r} differs from the manifest"
