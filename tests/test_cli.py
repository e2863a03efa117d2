"""The command line as CI and people use it: output, exit codes, selection, suppression, errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from torchlint.cli import main

BAD = """\
import torch

a = torch.Tensor([1, 2])
w = torch.Tensor(4, 6)
"""
CLEAN = "import torch\n\nx = torch.tensor([1, 2])\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        code = main(args)
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(BAD)
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    return tmp_path


def test_text_output_lines_and_summary(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "pkg"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("pkg/bad.py:3:5: TL101 ")
    assert lines[1].startswith("pkg/bad.py:4:5: TL102 ")
    assert lines[-2:] == ["Found 2 problems in 1 file.", "[*] 2 fixable with the `--fix` option."]
    assert "\x1b[" not in out  # no colour when not a terminal


def test_shorthand_and_module_entry(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["pkg"], capsys)[0] == 1
    result = subprocess.run([sys.executable, "-m", "torchlint", "pkg/bad.py"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "pkg/bad.py:3:5: TL101" in result.stdout


def test_clean_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "pkg/clean.py"], capsys)
    assert code == 0
    assert out.strip() == "All checks passed!"


def test_exit_zero_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--exit-zero", "pkg"], capsys)
    assert code == 0
    assert "TL101" in out


def test_json_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--output-format", "json", "pkg"], capsys)
    assert code == 1
    data = json.loads(out)
    assert [d["code"] for d in data] == ["TL101", "TL102"]
    first = data[0]
    assert first == {
        "path": "pkg/bad.py",
        "code": "TL101",
        "name": "tensor-constructor-with-data",
        "message": first["message"],
        "severity": "warning",
        "line": 3,
        "column": 5,
        "end_line": 3,
        "end_column": 25,
        "fix_available": True,
        "cell": None,
    }


def test_sorted_by_path_line_column(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "a_first.py").write_text("import torch\nb = torch.Tensor(2)\na = torch.Tensor([1])\n")
    _code, out, _ = run(["check", "--output-format", "json", "pkg"], capsys)
    keys = [(d["path"], d["line"], d["column"]) for d in json.loads(out)]
    assert keys == sorted(keys)
    assert keys[0][0] == "pkg/a_first.py"


@pytest.mark.parametrize(
    ("flags", "codes"),
    [
        (["--select", "TL101"], ["TL101"]),
        (["--select", "TL1"], ["TL101", "TL102"]),
        (["--ignore", "TL102"], ["TL101"]),
        (["--select", "TL3", "--extend-select", "TL102"], ["TL102"]),
        (["--ignore", "TL101,TL102"], []),
    ],
)
def test_selection_flags(project: Path, capsys: pytest.CaptureFixture[str], flags: list[str], codes: list[str]) -> None:
    _, out, _ = run(["check", "--output-format", "json", *flags, "pkg"], capsys)
    assert [d["code"] for d in json.loads(out)] == codes


def test_unknown_code_in_flag_is_an_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", "--select", "TL999", "pkg"], capsys)
    assert code == 2
    assert "--select" in err and "TL999" in err


def test_noqa(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "bad.py").write_text(
        "import torch\n"
        "a = torch.Tensor([1, 2])  # noqa: TL101\n"
        "b = torch.Tensor([1, 2])  # noqa\n"
        "c = torch.Tensor([1, 2])  # noqa: E501\n"
        "d = torch.Tensor(4, 6)  # noqa:TL101, TL102\n"
        "e = '# noqa'; f = torch.Tensor([1])\n"
    )
    _, out, _ = run(["check", "--output-format", "json", "pkg/bad.py"], capsys)
    assert [(d["line"], d["code"]) for d in json.loads(out)] == [(4, "TL101"), (6, "TL101")]


def test_disable_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "bad.py").write_text("# torchlint: disable-file\n" + BAD)
    assert run(["check", "pkg/bad.py"], capsys)[0] == 0


def test_syntax_error_is_a_finding_and_the_run_goes_on(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "broken.py").write_text("import torch\ndef f(:\n    pass\n")
    code, out, _ = run(["check", "pkg"], capsys)
    assert code == 1
    assert "pkg/broken.py:2:7: TL001 Syntax error" in out
    assert "pkg/bad.py:3:5: TL101" in out


def test_syntax_error_in_file_without_torch(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "plain.py").write_text("x = (1,\n")
    code, out, _ = run(["check", "pkg/plain.py"], capsys)
    assert code == 1
    assert "TL001" in out


def test_internal_error_is_reported_and_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from torchlint.rules.tl101_tensor_constructor_with_data import TensorConstructorWithData

    def explode(self, node, ctx):
        raise ValueError("boom")

    monkeypatch.setattr(TensorConstructorWithData, "visit_Call", explode)
    code, out, _ = run(["check", "--verbose", "-j", "1", "pkg"], capsys)
    assert code == 2
    assert "pkg/bad.py:1:1: TL002 Internal error while analysing this file: ValueError: boom" in out
    assert "Traceback" in out  # --verbose shows it
    assert "pkg/clean.py" not in out


def test_unreadable_and_missing_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "latin.py").write_bytes(b"import torch\nx = '\xff'\n")
    code, out, err = run(["check", "pkg/latin.py", "pkg/missing.py", "pkg/bad.py"], capsys)
    assert code == 2
    assert "pkg/latin.py: cannot decode as utf-8" in err
    assert "pkg/missing.py: no such file" in err
    assert "pkg/bad.py:3:5: TL101" in out


def test_coding_cookie_and_bom(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport torch\ns = '\xe9'; a = torch.Tensor([1])\n"
    )
    (project / "pkg" / "bom.py").write_bytes(b"\xef\xbb\xbfimport torch\na = torch.Tensor([1])\n")
    code, out, _ = run(["check", "--select", "TL101", "pkg/latin.py", "pkg/bom.py"], capsys)
    assert code == 1
    assert "pkg/latin.py:3:14: TL101" in out
    assert "pkg/bom.py:2:5: TL101" in out


def test_parallel_run_matches_serial(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(12):
        (project / "pkg" / f"m{i}.py").write_text(BAD)
    _, serial, _ = run(["check", "-j", "1", "--output-format", "json", "pkg"], capsys)
    _, parallel, _ = run(["check", "-j", "2", "--output-format", "json", "pkg"], capsys)
    assert json.loads(serial) == json.loads(parallel)
    assert len(json.loads(serial)) == 26


def test_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules"], capsys)
    assert code == 0
    assert "TL101  tensor-constructor-with-data" in out
    assert "TL402" in out
    code, out, _ = run(["explain", "tl301"], capsys)
    assert code == 0
    for heading in (
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Confirmed under torch",
    ):
        assert heading in out
    assert "cannot assign module before Module.__init__() call" in out
    code, _, err = run(["explain", "TL999"], capsys)
    assert code == 2 and "unknown rule" in err


@pytest.mark.parametrize(
    ("data", "line", "why"),
    [
        (b"# -*- coding: uft-8 -*-\nimport torch\n", 1, "unknown encoding: uft-8"),
        (b"#!/usr/bin/env python\n# vim: set fileencoding=rot13 :\n", 2, "encoding problem: rot13"),
        (b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", 1, "encoding problem: utf-8"),
    ],
)
def test_bad_encoding_declaration_is_a_syntax_error_finding(
    project: Path, capsys: pytest.CaptureFixture[str], data: bytes, line: int, why: str
) -> None:
    """CPython rejects these files with a SyntaxError: a TL001 finding, and the other files are still linted."""
    (project / "pkg" / "cookie.py").write_bytes(data)
    code, out, err = run(["check", "pkg"], capsys)
    assert code == 1, err
    assert f"pkg/cookie.py:{line}:1: TL001 Syntax error: {why}" in out
    assert "pkg/bad.py:3:5: TL101" in out
    assert err == ""
    code, out, _ = run(["check", "--output-format", "json", "-", "--stdin-filename", "x.py"], capsys, stdin=data)
    assert code == 1
    assert [(d["code"], d["line"]) for d in json.loads(out)] == [("TL001", line)]


def test_undecodable_and_missing_files_stay_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "latin.py").write_bytes(b"# coding: utf-8\nx = '\xff'\n")
    code, out, err = run(["check", "pkg/latin.py", "pkg/missing.py"], capsys)
    assert code == 2
    assert "pkg/latin.py: cannot decode as utf-8" in err and "pkg/missing.py: no such file" in err
    assert "TL001" not in out


def test_fixable_findings_are_marked_as_in_ruff(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`[*]` after the code where `--fix` would fix the finding, and ruff's closing line with the count."""
    (project / "pkg" / "unsafe.py").write_text(
        "import torch\nmodel = torch.nn.Linear(2, 2)\nopt = torch.optim.SGD(model.parameters())\n"
        "for x in range(3):\n    model(torch.ones(2)).sum().backward()\n    opt.step()\n"
    )
    code, out, _ = run(["check", "--no-cache", "pkg"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("pkg/bad.py:3:5: TL101 [*] `torch.Tensor(data)`")
    assert lines[1].startswith("pkg/bad.py:4:5: TL102 [*] `torch.Tensor(4, 6)`")
    assert lines[2].startswith("pkg/unsafe.py:5:5: TL201 Gradients accumulate")  # an unsafe fix: no mark
    assert lines[3:] == [
        "Found 3 problems in 2 files.",
        "[*] 2 fixable with the `--fix` option.",
        "1 hidden fix can be enabled with --unsafe-fixes.",
    ]
    _, out, _ = run(["check", "--no-cache", "--unsafe-fixes", "pkg"], capsys)
    assert "pkg/unsafe.py:5:5: TL201 [*] Gradients" in out
    assert out.splitlines()[-1] == "[*] 3 fixable with the `--fix --unsafe-fixes` option."
    _, out, _ = run(["check", "--no-cache", "pkg/clean.py"], capsys)
    assert out == "All checks passed!\n"
    _, out, _ = run(["check", "--no-cache", "--select", "TL201", "pkg"], capsys)
    assert "[*]" not in out
