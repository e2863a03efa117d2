"""`torchlint shapes FILE`: the source with each tensor assignment annotated with its inferred shape."""

from __future__ import annotations

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
