"""`torchlint shapes FILE`: the source with each tensor assignment annotated with its inferred shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from torchlint.cli import main

SOURCE = """import torch
import torch.nn as nn

x = torch.randn(8, 3, 32, 32)
conv = nn.Conv2d(3, 16, 3, stride=2, padding=1)
y = conv(x)
flat, rest = y.flatten(1).chunk(2, dim=1)
mask = flat > 0
print(y.shape)
"""


def test_shapes_annotates_each_tensor_assignment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.py"
    path.write_text(SOURCE, encoding="utf-8")
    assert main(["shapes", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "import torch"
    assert lines[3] == "x = torch.randn(8, 3, 32, 32)  # x: Tensor[8, 3, 32, 32] float32 cpu"
    assert lines[4] == "conv = nn.Conv2d(3, 16, 3, stride=2, padding=1)"
    assert lines[5] == "y = conv(x)  # y: Tensor[8, 16, 16, 16] float32 cpu requires_grad"
    assert lines[6].endswith(
        "# flat: Tensor[8, 2048] float32 cpu requires_grad; rest: Tensor[8, 2048] float32 cpu requires_grad"
    )
    assert lines[7] == "mask = flat > 0  # mask: Tensor[8, 2048] bool cpu"
    assert lines[8] == "print(y.shape)"


def test_shapes_reports_unreadable_and_broken_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shapes", str(tmp_path / "missing.py")]) == 2
    broken = tmp_path / "broken.py"
    broken.write_text("x = (\n", encoding="utf-8")
    assert main(["shapes", str(broken)]) == 2
    assert "syntax error" in capsys.readouterr().err


def _notebook(cells: list[str]) -> str:
    return json.dumps(
        {"cells": [{"cell_type": "markdown", "source": "# title"}]
         + [{"cell_type": "code", "source": source, "outputs": []} for source in cells]}
    )  # fmt: skip


def test_shapes_of_a_notebook_per_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(
        _notebook(["%matplotlib inline\nx = torch.rand(4, 3)", "%%bash\necho hi", "  y = x @ x.T\n  !ls", "z = (\n"])
    )
    assert main(["shapes", str(path)]) == 0
    assert capsys.readouterr().out.split("\n") == [
        "# cell 2",
        "%matplotlib inline",
        "x = torch.rand(4, 3)  # x: Tensor[4, 3] float32 cpu",
        "",
        "# cell 4",
        "  y = x @ x.T  # y: Tensor[4, 4] float32 cpu",
        "  !ls",
        "",
        "# cell 5: Syntax error: '(' was never closed (line 1, column 5); not analysed",
        "z = (",
        "",
        "",
    ]


def test_shapes_of_markdown_per_fence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "doc.md"
    path.write_text(
        "# T\n\n```python\nx = torch.ones(2, 5)\n```\n\n<!--\n```python\nx = torch.ones(9)\n```\n-->\n\n"
        "- item\n\n  ```{.python .input}\n  y = x.sum(0)\n  ```\n"
    )
    assert main(["shapes", str(path)]) == 0
    assert capsys.readouterr().out.split("\n") == [
        "# line 4",
        "x = torch.ones(2, 5)  # x: Tensor[2, 5] float32 cpu",
        "",
        "# line 16",
        "  y = x.sum(0)  # y: Tensor[5] float32 cpu",
        "",
    ]


def test_shapes_walks_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("import torch\na = torch.zeros(3)\n")
    (tmp_path / "pkg" / "b.ipynb").write_text(_notebook(["b = torch.zeros(2)"]))
    (tmp_path / "pkg" / "broken.py").write_text("x = (\n")
    assert main(["shapes", str(tmp_path / "pkg")]) == 2
    captured = capsys.readouterr()
    assert f"==> {tmp_path / 'pkg' / 'a.py'} <==\nimport torch\na = torch.zeros(3)  # a: Tensor[3] float32 cpu\n" in (
        captured.out
    )
    assert f"==> {tmp_path / 'pkg' / 'b.ipynb'} <==\n# cell 2\nb = torch.zeros(2)  # b: Tensor[2]" in captured.out
    assert "broken.py: syntax error at line 1" in captured.err
    assert "Errno" not in captured.err
