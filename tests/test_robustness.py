"""Never crash, never stall, never corrupt: strange inputs, huge inputs, faults and concurrent fixes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixture_format import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchlint.rule_codes import RULE_CODES
from torchlint.runner import FileTask, lint_file

SOURCES = [p.read_bytes() for p in sorted(FIXTURES.glob("TL*/*.py")) if ".fixed" not in p.name]
TOKENS = [
    "torch", ".", "Tensor", "(", ")", "[", "]", "{", "}", ":", "=", "for", "in", "if", "else", "def", "class",
    "nn.Module", "lambda", "x", "1", "'s'", ",", "\n", "    ", "#", "backward", "step", "zero_grad", "@", "*",
    "**", "->", "async", "await", "yield", "with", "as", "return", "\\", '"""', "f'{x}'", "...", ";", "not",
]  # fmt: skip


def lint_bytes(tmp_path: Path, data: bytes, name: str = "m.py", timeout: float = 20.0) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    start = time.perf_counter()
    outcome = lint_file(FileTask(str(path), RULE_CODES, timeout=timeout))
    assert time.perf_counter() - start < timeout + 5
    codes = [d.code for d in outcome.diagnostics]
    assert "TL002" not in codes, [d.detail for d in outcome.diagnostics if d.code == "TL002"]
    return codes


slow = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


@slow
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_token_soup(tmp_path: Path, tokens: list[str]) -> None:
    lint_bytes(tmp_path, " ".join(tokens).encode())


@slow
@given(st.sampled_from(SOURCES), st.floats(0, 1))
def test_truncations(tmp_path: Path, source: bytes, fraction: float) -> None:
    lint_bytes(tmp_path, source[: int(len(source) * fraction)])


@slow
@given(st.sampled_from(SOURCES), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=5))
def test_byte_flips(tmp_path: Path, source: bytes, flips: list[tuple[float, int]]) -> None:
    data = bytearray(source)
    for where, value in flips:
        data[min(int(where * len(data)), len(data) - 1)] = value
    path = tmp_path / "m.py"
    path.write_bytes(bytes(data))
    outcome = lint_file(FileTask(str(path), RULE_CODES))
    assert outcome.error is not None or "TL002" not in [d.code for d in outcome.diagnostics]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import torch\nx = " + "(" * 1000 + "1" + ")" * 1000 + "\n", "TL001"),
        ("import torch\nx = " + "-" * 100_000 + "1\n", "TL001"),
        ("import torch\nx = torch.rand(2)\ny = x" + " + 1" * 2_900 + "\n", None),
        ("import torch\nx = [" + ", ".join(str(i) for i in range(10_000)) + "]\nw = torch.Tensor(3)\n", "TL102"),
    ],
    ids=["1000-deep-parens", "100k-unary", "2900-term-chain", "10k-list"],
)
def test_deep_and_wide(tmp_path: Path, source: str, expected: str | None) -> None:
    codes = lint_bytes(tmp_path, source.encode())
    assert (expected in codes) if expected else ("TL001" not in codes and "TL003" not in codes)


def test_huge_file_is_linted_in_bounds(tmp_path: Path) -> None:
    block = (FIXTURES / "TL201" / "bad_plain_loop.py").read_text().replace("# expect: TL201", "")
    body = "\n".join(block.replace("grads", f"grads{i}") for i in range(50_000 // block.count("\n") + 1))
    codes = lint_bytes(tmp_path, body.encode(), timeout=120)
    assert codes.count("TL201") > 1000


def test_time_bound_gives_tl003(tmp_path: Path) -> None:
    big = "import torch\n" + "\n".join(f"x{i} = torch.rand({i % 7 + 1}) + torch.Tensor({i % 5})" for i in range(20_000))
    assert lint_bytes(tmp_path, big.encode(), timeout=0.05) == ["TL003"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"import torch\nx = 1\x00\n", "TL001"),
        (b"import torch\r\nx = 1\r\ny = torch.Tensor([1])\r\n", "3:5"),
        (b"import torch\rx = 1\ry = torch.Tensor([1])\r", "3:5"),
        (b"# -*- coding: latin-1 -*-\nimport torch\ns = '\xe9'; y = torch.Tensor([1])\n", "3:14"),
    ],
    ids=["nul-byte", "crlf", "cr", "latin-1"],
)
def test_encodings_and_line_endings(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(data)
    outcome = lint_file(FileTask(str(path), RULE_CODES))
    rendered = [f"{d.start.line}:{d.start.column} {d.code}" for d in outcome.diagnostics]
    assert any(message in r for r in rendered), rendered


def test_unlintable_paths_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "folder.py").mkdir()
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "good.py").write_text("import torch\na = torch.Tensor([1])\n")
    result = subprocess.run(
        [sys.executable, "-m", "torchlint", "check", "--no-cache", "folder.py", "dangling.py", "good.py"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert "folder.py" not in result.stderr  # a folder named like a file is walked, not read
    assert "dangling.py: no such file" in result.stderr
    assert "good.py:2:5: TL101" in result.stdout


def test_concurrent_fix_runs_never_mix_files(tmp_path: Path) -> None:
    source = (FIXTURES / "TL101" / "bad_label_list.py").read_text()
    for i in range(20):
        (tmp_path / f"m{i}.py").write_text(source)
    command = [sys.executable, "-m", "torchlint", "check", "--no-cache", "--fix", "-j", "2", "."]
    runs = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)
    ]
    for run in runs:
        run.wait(timeout=300)
    expected = source.replace("torch.Tensor([0, 2, 1])", "torch.tensor([0, 2, 1], dtype=torch.float32)")
    expected = expected.replace(
        "torch.Tensor((1.0, 2.0, 1.0, 0.5))", "torch.tensor((1.0, 2.0, 1.0, 0.5), dtype=torch.float32)"
    )
    for i in range(20):
        assert (tmp_path / f"m{i}.py").read_text() == expected
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".torchlint")]


def test_analysed_code_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    code = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\nimport torch\nx = torch.Tensor([1])\n"
    (tmp_path / "evil.py").write_text(code)
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nselect = ["ALL"]\n')
    result = subprocess.run(
        [sys.executable, "-m", "torchlint", "check", "--fix", "evil.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode in (0, 1), result.stderr
    assert not marker.exists()
