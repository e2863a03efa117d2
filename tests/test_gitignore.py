"""torchlint skips what git ignores, exactly: discovery and the matcher are compared with git itself
(`git ls-files --others --exclude-standard`, `git check-ignore`) in real repositories (issue 21, item 11)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from torchlint.config import ConfigResolver, Overrides
from torchlint.files import discover
from torchlint.gitignore import GitIgnore

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

FOLDERS = ["src", "src/gen", "src/gen/deep", "src/pkg", "src/pkg/out", "tests", "tests/data", "logs", "d2/sub"]
NAMES = ["a.py", "b_test.py", "keep.py", "x1.py", "top.py", "#weird.py", "trailing.py", "b.py", "data.py"]
PATTERNS = [
    "*.py", "!keep.py", "out/", "/top.py", "**/gen/**", "src/**/b.py", "x?.py", "[ab]_test.py",
    "!src/", "sub/*.py", "\\#weird.py", "trailing.py   ", "data/", "!data.py", "logs", "gen/", "/src/pkg",
    "!*/", "deep/*", "**/tests", "!b_test.py", "*_test.py", "a.py/", "# a comment", "", "!/src/gen/deep/",
    "!", "/", "src/*", "!src/gen/", "**/deep", "*", "!*.py", "pkg/**/x1.py", "!**/keep.py", "tests/**",
]  # fmt: skip


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    home = repo.parent / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"}
    env["GIT_CONFIG_GLOBAL"] = os.devnull  # no user-wide excludesFile: only the repository's files count
    result = subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, text=True, env=env)
    assert result.returncode in (0, 1), result.stderr  # check-ignore exits 1 when nothing is ignored
    return result.stdout


def make_repo(root: Path, seed: int) -> Path:
    """A random tree (no folder in torchlint's default excludes, such as `build`) with ignore files."""
    rng = random.Random(seed)
    repo = root / f"repo{seed}"
    repo.mkdir()
    git(repo, "init", "-q")
    for folder in ["", *FOLDERS]:
        (repo / folder).mkdir(parents=True, exist_ok=True)
        for name in rng.sample(NAMES, 4):
            (repo / folder / name).write_text("x = 1\n")
    for folder in rng.sample(["", "", *FOLDERS], 4):
        patterns = rng.sample(PATTERNS, rng.randint(1, 6))
        (repo / folder / ".gitignore").write_text("\n".join(patterns) + "\n")
    if rng.random() < 0.5:
        (repo / ".git" / "info" / "exclude").write_text(rng.choice(PATTERNS) + "\n")
    return repo


def everything(repo: Path) -> list[tuple[str, bool]]:
    """Every file and folder of the work tree, relative, with whether it is a folder."""
    found = []
    for folder, dirnames, filenames in os.walk(repo):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        here = Path(folder).relative_to(repo)
        found += [((here / d).as_posix(), True) for d in dirnames]
        found += [((here / f).as_posix(), False) for f in filenames if f != ".gitignore"]
    return found


@pytest.mark.parametrize("seed", range(40))
def test_discovery_and_matcher_agree_with_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    repo = make_repo(tmp_path, seed)
    monkeypatch.chdir(repo)
    # What a run lints: the untracked files git does not ignore (nothing is committed here).
    expected = sorted(line for line in git(repo, "ls-files", "--others", "--exclude-standard").splitlines())
    linted = sorted(p.as_posix() for p in discover([Path(".")], ConfigResolver(Overrides())))
    assert linted == [e for e in expected if e.endswith(".py")]
    # Each path, as git check-ignore decides it (folders and files inside ignored folders included).
    paths = everything(repo)
    ignored = set(git(repo, "check-ignore", "--stdin", stdin="\n".join(p for p, _ in paths) + "\n").splitlines())
    matcher = GitIgnore()
    mine = {p for p, is_dir in paths if matcher.ignored(repo / p, is_dir, check_parents=True)}
    assert mine == ignored


def test_named_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested files, negation, directory-only patterns and `**`, each where a reader can see it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    files = [
        "keep.py", "drop.py", "build/b.py", "src/build.py", "src/build/x.py", "src/gen/a/b/c.py",
        "src/pkg/keep.py", "src/pkg/other.py", "docs/conf.py",
    ]  # fmt: skip
    for name in files:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x = 1\n")
    (repo / ".gitignore").write_text("drop.py\nbuild/\n**/gen/**\n")  # build/ is a folder only: src/build.py stays
    (repo / "src" / "pkg" / ".gitignore").write_text("*.py\n!keep.py\n")  # nested, with a negation
    (repo / "docs" / ".gitignore").write_text("/conf.py\n")  # anchored to its own folder
    monkeypatch.chdir(repo)
    linted = sorted(p.as_posix() for p in discover([Path(".")], ConfigResolver(Overrides())))
    assert linted == ["keep.py", "src/build.py", "src/pkg/keep.py"]
    expected = sorted(git(repo, "ls-files", "--others", "--exclude-standard").splitlines())
    assert linted == [e for e in expected if e.endswith(".py")]
