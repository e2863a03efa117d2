"""`--diff-base` and `--shard`: which files a large repository's CI run lints."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from torchlint.cli import main

BAD = "import torch\na = torch.Tensor([1])\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def linted(args: list[str], capsys: pytest.CaptureFixture[str]) -> set[str]:
    main(["check", "--no-cache", "--output-format", "json", *args])
    return {d["path"] for d in json.loads(capsys.readouterr().out)}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text(BAD)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def test_diff_base_lints_changed_and_new_files(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "b.py").write_text(BAD + "# changed\n")
    (repo / "new.py").write_text(BAD)
    assert linted(["--diff-base", "HEAD", "."], capsys) == {"b.py", "new.py"}
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "more")
    assert linted(["--diff-base", "HEAD~1", "."], capsys) == {"b.py", "new.py"}
    assert linted(["--diff-base", "HEAD", "."], capsys) == set()


def test_diff_base_errors_are_clear(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--diff-base", "no-such-ref", "."])
    assert code == 2
    assert "--diff-base" in capsys.readouterr().err


def test_shards_partition_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    for i in range(40):
        (tmp_path / f"m{i}.py").write_text(BAD)
    shards = [linted(["--shard", f"{i}/3", "."], capsys) for i in (1, 2, 3)]
    assert set().union(*shards) == {f"m{i}.py" for i in range(40)}
    assert sum(len(s) for s in shards) == 40
    assert all(shards)
    assert linted(["--shard", "2/3", "."], capsys) == shards[1]  # deterministic


@pytest.mark.parametrize("bad", ["0/3", "4/3", "x", "1/0"])
def test_bad_shard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, bad: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--shard", bad, "."]) == 2
    assert "--shard" in capsys.readouterr().err


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    import io

    from torchlint.output import progress_bar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, loud = io.StringIO(), Terminal()
    with progress_bar(100, quiet) as advance:
        advance()
    with progress_bar(100, loud) as advance:
        for _ in range(100):
            advance()
    with progress_bar(10, loud) as advance:
        advance()
    assert quiet.getvalue() == ""
    assert "Linting" in loud.getvalue()
