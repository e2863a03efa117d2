"""Messages name torch's functions as the file spells them (`import torch as th` gives `th.permute`)."""

from __future__ import annotations

from torchlint.engine import lint_source
from torchlint.rules import RULES_BY_CODE


def _messages(source: str, code: str) -> list[str]:
    return [d.message for d in lint_source(source, "m.py", [RULES_BY_CODE[code]]) if d.code == code]


def test_permute_message_uses_the_files_alias() -> None:
    (message,) = _messages("import torch as th\nx = th.rand(2, 3, 4)\ny = th.permute(x, 2, 0, 1)\n", "TL105")
    assert "`th.permute` takes its dims" in message and "use `th.permute(x, (2, 0, 1))`" in message
    assert "torch.permute" not in message


def test_load_message_uses_the_files_alias() -> None:
    (message,) = _messages('import torch as th\nstate = th.load("m.pt", weights_only=False)\n', "TL601")
    assert message.startswith("`th.load(..., weights_only=False)`")
