"""Inlay hints: a tensor's inferred shape after its assignment target (`x: [64, 2704] = ...`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

from .positions import LineIndex

if TYPE_CHECKING:
    from torchlint.api import TensorBinding


def shape_label(shape: Sequence[object]) -> str:
    return ": [" + ", ".join(str(dim) for dim in shape) + "]"


def _within(position: types.Position, where: types.Range) -> bool:
    at = (position.line, position.character)
    return (where.start.line, where.start.character) <= at <= (where.end.line, where.end.character)


def shape_hints(bindings: Sequence[TensorBinding], index: LineIndex, where: types.Range) -> list[types.InlayHint]:
    """A hint after every target in `where` whose shape is known."""
    hints = []
    for binding in bindings:
        if binding.shape is None:
            continue
        position = index.to_lsp(binding.end)
        if _within(position, where):
            hints.append(
                types.InlayHint(position=position, label=shape_label(binding.shape), kind=types.InlayHintKind.Type)
            )
    return hints
