"""Standard-input mode honours every output option, as a file run does (issue 21, item 8)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from torchlint.cli import main

SOURCE = """\
import torch
a = torch.Tensor([1])
x = torch.randn(3).cuda()
y = x.numpy()
"""
FIXED = SOURCE.replace("torch.Tensor([1])", "torch.tensor([1], dtype=torch.float32)").replace(
    "x.numpy()", "x.cpu().numpy()"
)


def run(args: list[str], capsys: pytest.CaptureFixture[str], data: str = SOURCE) -> tuple[int, str, str]:
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data.encode()))
    try:
        code = main(["check", "--no-cache", *args, "-", "--stdin-filename", "pkg/m.py"])
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    # A file of that name on disk with other text: standard input's text is what counts.
    (tmp_path / "pkg" / "m.py").write_text("# on disk\n" * 5)
    return tmp_path


def test_diff(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--diff"], capsys)
    assert code == 1
    assert out.startswith("--- pkg/m.py\n+++ pkg/m.py\n@@ -1,4 +1,4 @@\n")
    assert "-a = torch.Tensor([1])\n+a = torch.tensor([1], dtype=torch.float32)\n" in out
    assert "-y = x.numpy()\n+y = x.cpu().numpy()\n" in out
    assert err == "Would fix 2 problems.\n"
    code, out, _ = run(["--diff"], capsys, data=FIXED)
    assert (code, out) == (0, "")


def test_statistics(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--statistics"], capsys)
    assert code == 1
    assert out.splitlines() == [
        "1  TL101  [*] tensor-constructor-with-data",
        "1  TL401  [*] numpy-on-cuda-tensor",
        "Found 2 problems in 1 file.",
    ]


def test_github(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--output-format", "github"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::warning file=pkg/m.py,line=2,col=5,")
    assert lines[1].startswith("::error file=pkg/m.py,line=4,col=5,")


def test_sarif(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--output-format", "sarif"], capsys)
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("TL101", 2),
        ("TL401", 4),
    ]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"pkg/m.py"}


def test_show_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--show-source"], capsys)
    assert code == 1
    assert "    2 | a = torch.Tensor([1])\n            ^^^^^^^^^^^^^^^^^\n" in out
    assert "    4 | y = x.numpy()\n            ^^^^^^^^^\n" in out
    assert "on disk" not in out
    assert out.endswith("Found 2 problems in 1 file.\n")


def test_fix_still_prints_the_fixed_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--fix"], capsys)
    assert (code, out) == (0, FIXED)
    assert "2 fixed" in err
