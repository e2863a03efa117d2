"""The server lints incrementally (`torchlint.incremental`): after each edit its findings, over LSP, equal a
full lint of the same text: inserts, deletions, an import changed, a class used later, a function's return."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from test_server_e2e import PUSH, session

from torchlint.config import Settings
from torchlint.runner import lint_text

pytestmark = pytest.mark.asyncio

PROGRAM = """import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)


def batch():
    return torch.rand(8, 4)


def train():
    model = Net()
    x = torch.rand(8, 4)
    y = model(x)
    h = torch.rand(3, device="cuda")
    return y, h.numpy()


def other():
    total = 0
    return total
"""


def at(line: int, character: int = 0) -> types.Position:
    return types.Position(line=line, character=character)


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.split("\n")) if needle in line)


def full_lint(text: str, root: Path) -> list[tuple[object, int, int, str]]:
    found = lint_text(text, str(root / "incremental.py"), Settings(root=root)).diagnostics
    return sorted((d.code, d.start.line - 1, d.start.column - 1, d.message) for d in found)


def seen(found: list[types.Diagnostic]) -> list[tuple[object, int, int, str]]:
    return sorted((d.code, d.range.start.line, d.range.start.character, d.message) for d in found)


def replace_line(text: str, needle: str, new: str) -> tuple[types.Range, str]:
    row = line_of(text, needle)
    old = text.split("\n")[row]
    return types.Range(start=at(row), end=at(row, len(old))), new


async def test_incremental_edits_give_a_full_lints_findings(tmp_path: Path) -> None:
    uri = (tmp_path / "incremental.py").as_uri()
    async with session(PUSH, init_options={"debounceMs": 0}) as client:
        client.open(uri, PROGRAM)
        first = seen(await client.findings(uri))
        assert first == full_lint(PROGRAM, tmp_path) and first

        def text() -> str:
            return client.texts[uri]

        edits = [
            # an insert inside a function, with a new finding
            lambda: (
                types.Range(
                    start=at(line_of(text(), "    total = 0") + 1), end=at(line_of(text(), "    total = 0") + 1)
                ),
                "    w = torch.Tensor([1, 2])\n",
            ),
            # its deletion
            lambda: (
                types.Range(
                    start=at(line_of(text(), "torch.Tensor([1, 2])")),
                    end=at(line_of(text(), "torch.Tensor([1, 2])") + 1),
                ),
                "",
            ),
            # a class used later: its layer no longer takes the input's width
            lambda: replace_line(text(), "nn.Linear(4, 2)", "        self.fc = nn.Linear(5, 2)"),
            # a function's return
            lambda: replace_line(text(), "return torch.rand(8, 4)", '    return torch.rand(8, 4, device="cuda")'),
            # an import changed: `nn` no longer names torch.nn
            lambda: replace_line(text(), "import torch.nn as nn", "import torch.nn as tnn"),
            # and back
            lambda: replace_line(text(), "import torch.nn as tnn", "import torch.nn as nn"),
            # characters typed inside a statement, one at a time
            lambda: (
                types.Range(start=at(line_of(text(), "h.numpy()"), 16), end=at(line_of(text(), "h.numpy()"), 16)),
                ".cpu()",
            ),
            # a whole new function inserted before another
            lambda: (
                types.Range(start=at(line_of(text(), "def other")), end=at(line_of(text(), "def other"))),
                "def extra():\n    return torch.rand(2).cuda().numpy()\n\n\n",
            ),
            # a statement broken, then mended (a syntax error in between)
            lambda: replace_line(text(), "def batch():", "def batch(:"),
            lambda: replace_line(text(), "def batch(:", "def batch():"),
        ]
        changed = 0
        for make in edits:
            where, new = make()
            client.edit(uri, where, new)
            found = seen(await client.findings(uri))
            assert found == full_lint(text(), tmp_path), text()
            changed += found != first
        assert changed >= 3  # the edits did change the findings along the way
