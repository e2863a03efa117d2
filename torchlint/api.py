"""Public API: findings and inferred tensor facts for a source text (used by the language server)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from torchlint.diagnostics import Diagnostic, Position
from torchlint.engine import lint_source
from torchlint.infer.analyzer import Analyzer
from torchlint.infer.facts import Fact
from torchlint.rules import ALL_RULES
from torchlint.rules.base import Rule

__all__ = ["TensorBinding", "inferred_facts", "lint"]


@dataclass(frozen=True)
class TensorBinding:
    """A name bound to a tensor at one assignment target, and what was known about it there."""

    name: str  # dotted: `x`, `self.w`
    start: Position  # 1-based line and column of the target
    end: Position  # exclusive
    device: str  # "cpu", "cuda", "maybe-cuda", "meta", "unknown"
    requires_grad: bool | None
    shape: tuple | None
    dtype: str | None

    def describe(self) -> str:
        """`Tensor[64, 3, 32, 32] float32 cuda`, leaving out what is unknown."""
        text = "Tensor"
        if self.shape is not None:
            text += "[" + ", ".join(str(d) for d in self.shape) + "]"
        if self.dtype is not None:
            text += f" {self.dtype}"
        if self.device != "unknown":
            text += f" {self.device}"
        if self.requires_grad:
            text += " requires_grad"
        return text


def lint(source: str, path: str = "<string>", rules: Sequence[Rule] = ALL_RULES) -> list[Diagnostic]:
    return lint_source(source, path, rules)


def inferred_facts(source: str) -> list[TensorBinding]:
    """Every tensor-valued assignment target with its facts, in source order; [] if it does not parse."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return []
    found: list[tuple[cst.BaseExpression, str, Fact]] = []
    analyzer = Analyzer(module, {})
    analyzer.on_bind = lambda target, name, fact: found.append((target, name, fact))
    analyzer.run()
    if not found:
        return []
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    result = []
    for target, name, fact in found:
        where = positions.get(target)
        if where is None:
            continue
        result.append(
            TensorBinding(
                name,
                Position(where.start.line, where.start.column + 1),
                Position(where.end.line, where.end.column + 1),
                fact.device.value,
                fact.requires_grad,
                fact.shape,
                fact.dtype,
            )
        )
    result.sort(key=lambda b: (b.start.line, b.start.column))
    return result
