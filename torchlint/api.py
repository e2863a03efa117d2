"""Public API: findings and inferred tensor facts for a source text (used by the language server)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from torchlint.diagnostics import Diagnostic, Position
from torchlint.engine import lint_source
from torchlint.infer.analyzer import Analyzer
from torchlint.infer.facts import Fact, join
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
    strides: tuple | None = None  # in elements, as `Tensor.stride()`; None where the layout is not known
    cell: int | None = None  # in a notebook, the cell `start` and `end` are in (1-based among all cells)

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


def inferred_facts(source: str, seed: dict[str, Fact] | None = None) -> list[TensorBinding]:
    """Every tensor-valued assignment target with its facts, in source order; [] if it does not parse.
    `seed`: names a snippet uses unimported (`torch`, `nn`...), as for `lint_source`."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return []
    found: dict[int, tuple[cst.BaseExpression, str, Fact]] = {}
    # What `forward` bound when analysed again for calls with known input shapes, by target.
    targeted: dict[int, tuple[cst.BaseExpression, str, list[Fact]]] = {}
    analyzer = Analyzer(module, {}, seed=seed)
    # Every call is evaluated, as the shape rules do, so that module calls in any expression are seen.
    analyzer.dispatch[cst.Call] = [analyzer.evaluator.fact]  # type: ignore[list-item]

    def record(target: cst.BaseExpression, name: str, fact: Fact) -> None:
        if analyzer.targeted:
            targeted.setdefault(id(target), (target, name, []))[2].append(fact)
        else:
            found[id(target)] = (target, name, fact)

    analyzer.on_bind = record
    analyzer.run()
    for key, (target, name, calls) in targeted.items():
        if key not in found:  # a tensor only for the calls analysed (a parameter of unknown type otherwise)
            found[key] = (target, name, _agreed(calls))
    if not found:
        return []
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    result = []
    for key, (target, name, generic) in found.items():
        fact = _with_call_shapes(generic, targeted[key][2] if key in targeted else [])
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
                fact.strides if fact.shape is not None else None,
            )
        )
    result.sort(key=lambda b: (b.start.line, b.start.column))
    return result


def _with_call_shapes(fact: Fact, calls: list[Fact]) -> Fact:
    """A binding in `forward` takes the shape (and dtype) every analysed call agrees on."""
    if fact.shape is not None or not calls:
        return fact
    agreed = _agreed(calls)
    return fact.but(shape=agreed.shape, dtype=fact.dtype or agreed.dtype, strides=agreed.strides)


def _agreed(facts: list[Fact]) -> Fact:
    agreed = facts[0]
    for other in facts[1:]:
        agreed = join(agreed, other)
    return agreed
