"""A run that checked nothing says so: never "All checks passed!" when no file was read (issue 21, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchlint.cli import main

CLEAN = "import torch\n\nx = torch.tensor([1, 2])\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("no Python here\n")
    return tmp_path


def test_missing_path_is_an_error_and_nothing_passed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", "nonexist.py"], capsys)
    assert code == 2
    assert "nonexist.py: no such file" in err
    assert out == "0 files checked.\n"


def test_missing_path_beside_a_clean_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", "pkg/clean.py", "nonexist.py"], capsys)
    assert code == 2
    assert "nonexist.py: no such file" in err
    assert out == "No problems found in 1 file; 1 file could not be checked.\n"


@pytest.mark.parametrize("flags", [[], ["--statistics"], ["--show-source"]])
def test_folder_without_python_files(project: Path, capsys: pytest.CaptureFixture[str], flags: list[str]) -> None:
    code, out, err = run(["check", *flags, "docs"], capsys)
    assert code == 0
    assert out == "0 files checked.\n"
    assert "torchlint: warning: No Python files found under docs" in err


def test_empty_shard(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = [run(["check", "--shard", f"{i}/2", "pkg/clean.py"], capsys) for i in (1, 2)]
    assert sorted(out for _, out, _ in outputs) == ["0 files checked.\n", "All checks passed!\n"]
    assert all(code == 0 for code, _, _ in outputs)
    empty_err = next(err for _, out, err in outputs if out.startswith("0 files"))
    assert "selected none of the 1 file found" in empty_err


def test_force_excluded_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.torchlint]\nextend-exclude = ["pkg"]\n')
    code, out, err = run(["check", "--force-exclude", "pkg/clean.py"], capsys)
    assert code == 0
    assert out == "0 files checked.\n"
    assert "pkg/clean.py: excluded by the configuration (--force-exclude)" in err


def test_a_clean_file_still_passes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", "pkg/clean.py"], capsys)
    assert (code, out, err) == (0, "All checks passed!\n", "")
