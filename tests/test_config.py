"""Configuration from pyproject.toml, file discovery, excludes and .gitignore."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from torchlint.cli import main

BAD = "import torch\na = torch.Tensor([1, 2])\nw = torch.Tensor(4, 6)\n"


def lint(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[tuple[str, str]], str]:
    code = main(["check", "--output-format", "json", *args])
    out, err = capsys.readouterr()
    found = [(d["path"], d["code"]) for d in json.loads(out)] if out.strip() else []
    return code, found, err


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for folder in ("src", "src/sub", "tests"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "m.py").write_text(BAD)
    return tmp_path


def write_config(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.torchlint]\n" + body)


def test_select_and_ignore_from_pyproject(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tree, 'select = ["TL1"]\nignore = ["TL102"]\n')
    _, found, _ = lint(["src/m.py"], capsys)
    assert found == [("src/m.py", "TL101")]


def test_cli_select_overrides_config(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tree, 'select = ["TL101"]\n')
    _, found, _ = lint(["--select", "TL102", "src/m.py"], capsys)
    assert found == [("src/m.py", "TL102")]


@pytest.mark.parametrize(
    ("config", "flags", "expected"),
    [
        ('ignore = ["TL102"]\n', ["--select", "TL102"], ["TL102"]),
        ('select = ["TL101"]\nignore = ["TL1"]\n', ["--select", "TL1"], ["TL101", "TL102"]),
        ('extend-select = ["TL101"]\nselect = ["TL4"]\n', ["--select", "TL102"], ["TL102"]),
        ('ignore = ["TL102"]\n', ["--select", "TL1", "--ignore", "TL101"], ["TL102"]),
        ('ignore = ["TL102"]\n', ["--extend-select", "TL102"], ["TL101"]),
        ('ignore = ["TL102"]\n', ["--ignore", "TL101"], []),
    ],
)
def test_cli_select_replaces_the_config_selection(
    tree: Path, capsys: pytest.CaptureFixture[str], config: str, flags: list[str], expected: list[str]
) -> None:
    """As in ruff, a command-line --select starts the selection afresh: the file's select, extend-select
    and ignore no longer apply; --extend-select and --ignore alone only adjust the file's selection."""
    write_config(tree, config)
    _, found, _ = lint([*flags, "src/m.py"], capsys)
    assert [code for _, code in found] == expected


def test_cli_select_keeps_per_file_ignores(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tree, 'ignore = ["TL102"]\n\n[tool.torchlint.per-file-ignores]\n"src/*" = ["TL101"]\n')
    _, found, _ = lint(["--select", "TL1", "src/m.py"], capsys)
    assert found == [("src/m.py", "TL102")]


def test_nearest_pyproject_wins(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tree, 'ignore = ["TL101"]\n')
    write_config(tree / "src" / "sub", 'ignore = ["TL102"]\n')
    _, found, _ = lint(["."], capsys)
    assert found == [
        ("src/m.py", "TL102"),
        ("src/sub/m.py", "TL101"),
        ("tests/m.py", "TL102"),
    ]


def test_pyproject_without_table_is_skipped(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tree, 'ignore = ["TL101"]\n')
    (tree / "src" / "pyproject.toml").write_text("[project]\nname = 'inner'\n")
    _, found, _ = lint(["src/m.py"], capsys)
    assert found == [("src/m.py", "TL102")]


def test_per_file_ignores(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tree, '[tool.torchlint.per-file-ignores]\n"tests/*" = ["TL1"]\n"sub" = ["TL102"]\n')
    _, found, _ = lint(["."], capsys)
    assert found == [
        ("src/m.py", "TL101"),
        ("src/m.py", "TL102"),
        ("src/sub/m.py", "TL101"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('selct = ["TL101"]\n', "unknown key `selct`"),
        ('select = ["TL999"]\n', "unknown rule code or prefix 'TL999'"),
        ('select = "TL101"\n', "`select` must be a list of strings"),
        ("respect-gitignore = 1\n", "`respect-gitignore` must be true or false"),
        ('[tool.torchlint.per-file-ignores]\n"x" = ["NOPE1"]\n', "per-file-ignores.x"),
        ("select = [\n", "not valid TOML"),
    ],
)
def test_config_errors_exit_2_naming_file_and_key(
    tree: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    write_config(tree, body)
    code, found, err = lint(["src/m.py"], capsys)
    assert code == 2
    assert found == []
    assert "pyproject.toml" in err
    assert message in err


def test_exclude_and_extend_exclude(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tree, 'extend-exclude = ["tests", "src/sub/*.py"]\n')
    _, found, _ = lint(["--select", "TL101", "."], capsys)
    assert found == [("src/m.py", "TL101")]


def test_default_excludes_skip_virtualenvs(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / ".venv" / "lib").mkdir(parents=True)
    (tree / ".venv" / "lib" / "m.py").write_text(BAD)
    (tree / "build").mkdir()
    (tree / "build" / "m.py").write_text(BAD)
    _, found, _ = lint(["--select", "TL101", "."], capsys)
    assert {p for p, _ in found} == {"src/m.py", "src/sub/m.py", "tests/m.py"}


def test_gitignore_is_respected(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    (tree / ".gitignore").write_text("tests/\n*.py\n!src/m.py\n")
    _, found, _ = lint(["--select", "TL101", "."], capsys)
    assert found == [("src/m.py", "TL101")]
    _, found, _ = lint(["--select", "TL101", "--no-respect-gitignore", "."], capsys)
    assert len(found) == 3


def test_nested_gitignore_applies_below_its_folder(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    (tree / "src" / ".gitignore").write_text("/m.py\n")
    _, found, _ = lint(["--select", "TL101", "."], capsys)
    assert {p for p, _ in found} == {"src/sub/m.py", "tests/m.py"}


def test_explicit_files_ignore_excludes_unless_forced(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tree, 'extend-exclude = ["tests"]\n')
    _, found, _ = lint(["--select", "TL101", "tests/m.py"], capsys)
    assert found == [("tests/m.py", "TL101")]
    code, found, _ = lint(["--select", "TL101", "--force-exclude", "tests/m.py"], capsys)
    assert (code, found) == (0, [])


def test_force_exclude_obeys_gitignored_folders(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    (tree / ".gitignore").write_text("tests/\n")
    _code, found, _ = lint(["--select", "TL101", "--force-exclude", "tests/m.py", "src/m.py"], capsys)
    assert found == [("src/m.py", "TL101")]


def test_explicit_config_file(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tree / "src", 'ignore = ["TL101"]\n')
    other = tree / "other.toml"
    other.write_text('[tool.torchlint]\nselect = ["TL101"]\n')
    _, found, _ = lint(["--config", "other.toml", "src/m.py"], capsys)
    assert found == [("src/m.py", "TL101")]


def test_config_file_without_table_is_said(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --config file without [tool.torchlint] is not silently ignored: a warning, then the defaults (as ruff)."""
    (tree / "other.toml").write_text("[project]\nname = 'x'\n\n[tool.ruff]\nline-length = 100\n")
    code, found, err = lint(["--config", "other.toml", "src/m.py"], capsys)
    assert code == 1
    assert found == [("src/m.py", "TL101"), ("src/m.py", "TL102")]
    assert err == "torchlint: warning: other.toml has no [tool.torchlint] table; the defaults apply\n"
    (tree / "other.toml").write_text('[tool.torchlint]\nselect = ["TL101"]\n')
    code, found, err = lint(["--config", "other.toml", "src/m.py"], capsys)
    assert (code, found, err) == (1, [("src/m.py", "TL101")], "")
