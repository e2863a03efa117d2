"""The smaller surprises of a first hour with torchlint (issue 21, item 10)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from torchlint.cli import main
from torchlint.config import ConfigResolver, Overrides
from torchlint.docs import BUILTIN
from torchlint.links import RULES_PAGE, anchor, rule_url
from torchlint.output import write_with_source
from torchlint.rules import ALL_RULES
from torchlint.runner import lint_paths

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_show_source_colour_ends_on_its_own_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(b) A caret line wider than the terminal is not broken by rich: its colour would run onto a new line."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "50")
    long_name = "very_long_variable_name_number_one"
    (tmp_path / "m.py").write_text(f"import torch\n{long_name} = torch.Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])\n")
    result = lint_paths([Path("m.py")], ConfigResolver(Overrides()), 1)
    stream = Terminal()
    write_with_source(result.diagnostics, stream)
    lines = stream.getvalue().split("\n")
    assert lines[1].startswith("    2 | very_long")
    width = result.diagnostics[0].end.column - result.diagnostics[0].start.column
    assert lines[2] == "\x1b[1;33m" + " " * (8 + len(long_name) + 3) + "^" * width + "\x1b[0m"
    for line in lines:  # every coloured span closes on the line where it opens
        assert line.count("\x1b[0m") == len(re.findall(r"\x1b\[[\d;]*[1-9][\d;]*m", line)), line


def test_shape_message_joins_torch_text_without_stray_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """(c) torch's sentence, then where the shapes came from: no `.;`."""
    (tmp_path / "m.py").write_text(
        "import torch\nbatch = torch.randn(8, 10, 64)\nkeys = torch.randn(8, 12, 64)\ny = torch.bmm(batch, keys)\n"
    )
    _, out, _ = run(["check", "--no-cache", "--output-format", "json", str(tmp_path / "m.py")], capsys)
    (finding,) = json.loads(out)
    assert finding["message"] == (
        "Expected size for first two dimensions of batch2 tensor to be: [8, 64] but got: [8, 12]; "
        "batch: [8, 10, 64] from torch.randn at line 2; keys: [8, 12, 64] from torch.randn at line 3"
    )
    _, out, _ = run(["check", "--no-cache", str(ROOT / "examples")], capsys)
    assert ".;" not in out


def headings() -> set[str]:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    return {anchor(line[3:]) for line in text.splitlines() if line.startswith("## ")}


def test_rule_links_point_at_sections_of_docs_rules_md() -> None:
    """(d) Each rule's link is its section of the repository's docs/rules.md, for every rule and built-in code."""
    codes = [(r.code, r.name) for r in ALL_RULES] + [(code, name) for code, name, _ in BUILTIN]
    anchors = headings()
    for code, name in codes:
        url = rule_url(code, name)
        page, _, fragment = url.partition("#")
        assert page == RULES_PAGE == "https://github.com/torchlint/torchlint/blob/main/docs/rules.md"
        assert fragment in anchors, (code, url)
    assert rule_url("TL101", "tensor-constructor-with-data").endswith("#tl101-tensor-constructor-with-data")


def test_sarif_help_uri_is_the_rule_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.py").write_text("import torch\na = torch.Tensor([1])\n")
    _, out, _ = run(["check", "--no-cache", "--output-format", "sarif", str(tmp_path / "m.py")], capsys)
    rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    anchors = headings()
    assert len(rules) == len(ALL_RULES) + len(BUILTIN)
    for rule in rules:
        assert rule["helpUri"] == rule_url(rule["id"], rule["name"])
        assert rule["helpUri"].partition("#")[2] in anchors
