"""What a rule may ask while the engine's pass is at a node, and how it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from torchlint.diagnostics import Severity
from torchlint.infer.facts import Fact

if TYPE_CHECKING:
    from torchlint.infer.analyzer import Analyzer
    from torchlint.rules.base import Rule


@dataclass
class Report:
    rule: Rule
    node: cst.CSTNode
    end: cst.CSTNode
    message: str
    severity: Severity
    refs: dict[str, cst.CSTNode] = field(default_factory=dict)


class RuleContext:
    """One per rule and file; shares the analyzer and a per-file cache with the other rules."""

    def __init__(self, rule: Rule, analyzer: Analyzer, reports: list[Report], cache: dict) -> None:
        self.rule = rule
        self._analyzer = analyzer
        self._reports = reports
        self.cache = cache

    @property
    def module(self) -> cst.Module:
        return self._analyzer.module

    def fact(self, node: cst.BaseExpression) -> Fact:
        return self._analyzer.evaluator.fact(node)

    def qualname(self, node: cst.BaseExpression) -> str | None:
        return self._analyzer.evaluator.qualname(node)

    def element_of(self, node: cst.BaseExpression) -> Fact:
        return self._analyzer.evaluator.element_of(node)

    def is_builtin(self, name: str) -> bool:
        return self._analyzer.evaluator.is_builtin(name)

    def is_module_class(self, node: cst.ClassDef) -> bool:
        return self._analyzer.is_module_class(node)

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        end: cst.CSTNode | None = None,
        severity: Severity | None = None,
        refs: dict[str, cst.CSTNode] | None = None,
    ) -> None:
        """`message` may hold `{KEY}` placeholders, replaced by the line of `refs[KEY]`."""
        self._reports.append(Report(self.rule, node, end or node, message, severity or self.rule.severity, refs or {}))
