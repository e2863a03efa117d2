"""What rules are told besides the code: `target-torch-version` (settings → runner → engine), snippet displays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from torchlint.cli import main
from torchlint.config import ConfigResolver, Overrides, Settings
from torchlint.engine import lint_source
from torchlint.rules import RULES_BY_CODE

LOADS = 'import torch\nstate = torch.load("a.pt")\nsafe = torch.load("a.pt", weights_only=True)\n'
EXPLICIT = 'import torch\nstate = torch.load("a.pt", weights_only=False)\n'


def findings(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[tuple[str, int]], str]:
    code = main(["check", "--output-format", "json", "--select", "TL601", *args])
    out, err = capsys.readouterr()
    found = [(d["path"], d["line"]) for d in json.loads(out)] if out.strip() else []
    return code, found, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loads.py").write_text(LOADS)
    (tmp_path / "explicit.py").write_text(EXPLICIT)
    return tmp_path


def configure(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.torchlint]\n" + body)


def test_default_flags_only_explicit_false(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, found, _ = findings(capsys, ".")
    assert found == [("explicit.py", 2)]


@pytest.mark.parametrize("version", ["2.4", "1.13.1", "2.5"])
def test_old_target_flags_missing_weights_only(project: Path, capsys: pytest.CaptureFixture[str], version: str) -> None:
    configure(project, f'target-torch-version = "{version}"\n')
    _, found, _ = findings(capsys, "--no-cache", ".")
    assert found == [("explicit.py", 2), ("loads.py", 2)]


@pytest.mark.parametrize("version", ["2.6", "2.10", "3.0"])
def test_new_target_keeps_default(project: Path, capsys: pytest.CaptureFixture[str], version: str) -> None:
    configure(project, f'target-torch-version = "{version}"\n')
    _, found, _ = findings(capsys, "--no-cache", ".")
    assert found == [("explicit.py", 2)]


def test_cached_findings_follow_the_option(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, before, _ = findings(capsys, ".")
    configure(project, 'target-torch-version = "2.4"\n')
    _, after, _ = findings(capsys, ".")
    assert before == [("explicit.py", 2)]
    assert after == [("explicit.py", 2), ("loads.py", 2)]


@pytest.mark.parametrize("value", ['"2"', '"latest"', "2.4", '"2.4.x"'])
def test_bad_version_is_a_config_error(project: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    configure(project, f"target-torch-version = {value}\n")
    code, found, err = findings(capsys, ".")
    assert (code, found) == (2, [])
    assert "pyproject.toml" in err and "`target-torch-version` must be a version string" in err


def test_settings_expose_rule_options(project: Path) -> None:
    configure(project, 'target-torch-version = "2.4"\n')
    settings = ConfigResolver(Overrides(), cwd=project).for_path(project / "loads.py")
    assert settings.rule_options() == (("target-torch-version", "2.4"),)
    assert Settings(root=project).rule_options() == ()


def test_engine_passes_options_to_rules() -> None:
    rules = [RULES_BY_CODE["TL601"]]
    assert lint_source(LOADS, "x.py", rules) == []
    found = lint_source(LOADS, "x.py", rules, options={"target-torch-version": "2.5"})
    assert [(d.code, d.start.line) for d in found] == [("TL601", 2)]
    assert "torch 2.5" in found[0].message


def test_snippet_displays_are_not_discarded_results() -> None:
    source = "import torch\nx = torch.ones(2)\nx.float()\nx.half()\n"
    rules = [RULES_BY_CODE["TL107"]]
    as_file = lint_source(source, "x.py", rules)
    assert [d.start.line for d in as_file] == [3, 4]
    shown_last = lint_source(source, "cell.py", rules, displays=frozenset({4}))
    assert [d.start.line for d in shown_last] == [3]
