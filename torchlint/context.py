"""What a rule may ask while the engine's pass is at a node, and how it reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from torchlint.diagnostics import Severity
from torchlint.fixes import PendingEdit, PendingFix, insert_line_after, insert_line_before
from torchlint.infer.facts import Fact, Kind

if TYPE_CHECKING:
    from torchlint.infer.analyzer import Analyzer
    from torchlint.infer.evaluate import Finding
    from torchlint.rules.base import Rule


@dataclass
class Report:
    rule: Rule
    node: cst.CSTNode
    end: cst.CSTNode
    message: str
    severity: Severity
    refs: dict[str, cst.CSTNode] = field(default_factory=dict)
    fix: PendingFix | None = None
    alternatives: tuple[PendingFix, ...] = ()


class RuleContext:
    """One per rule and file; shares the analyzer and a per-file cache with the other rules."""

    def __init__(
        self,
        rule: Rule,
        analyzer: Analyzer,
        reports: list[Report],
        cache: dict,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.rule = rule
        self._analyzer = analyzer
        self._reports = reports
        self.cache = cache
        # Settings-derived rule options (`target-torch-version`, ...), by configuration key.
        self.options: Mapping[str, str] = options or {}
        # True for snippets (Markdown fences, notebook cells), where a bare expression is a display.
        self.snippet = False
        # Ids of the statements a REPL would display (a notebook cell's last expression, a fence's expressions).
        self.displayed: frozenset[int] = frozenset()

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

    def shape_finding(self, node: cst.CSTNode) -> Finding | None:
        """How this call, operator or index definitely fails on the shapes known here, if it does."""
        return self._analyzer.evaluator.finding(node)

    def is_module_class(self, node: cst.ClassDef) -> bool:
        return self._analyzer.is_module_class(node)

    def is_display(self, statement: cst.CSTNode) -> bool:
        """Is this (top-level, bare-expression) statement shown as output in its snippet?"""
        return id(statement) in self.displayed

    @property
    def no_grad(self) -> bool:
        """True inside `with torch.no_grad():` (or a function decorated with it) at this point."""
        return self._analyzer.scope.no_grad

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        end: cst.CSTNode | None = None,
        severity: Severity | None = None,
        refs: dict[str, cst.CSTNode] | None = None,
        fix: PendingFix | None = None,
        alternatives: tuple[PendingFix, ...] = (),
    ) -> None:
        """`message` may hold `{KEY}` placeholders, replaced by the line of `refs[KEY]`."""
        severity = severity or self.rule.severity
        self._reports.append(Report(self.rule, node, end or node, message, severity, refs or {}, fix, alternatives))

    def torch_name(self) -> tuple[str, tuple[PendingEdit, ...]]:
        """How fixed code can write `torch.x` here: the module's alias, or `torch` plus an import to add."""
        alias = self.torch_alias()
        if alias is not None:
            return alias, ()
        body = self.module.body
        imports = [s for s in body if isinstance(s, cst.SimpleStatementLine) and _is_import(s)]
        if imports:
            return "torch", (insert_line_after(imports[-1], "import torch"),)
        first = next((s for s in body if not _is_docstring(s)), None)
        if first is None:
            return "torch", (insert_line_after(body[-1], "import torch"),)
        return "torch", (insert_line_before(first, "import torch"),)

    def torch_alias(self) -> str | None:
        """The name this module binds to `torch` at the top level, for fixes that write `torch.x`."""
        cached = self.cache.get("torch_alias", False)
        if cached is False:
            cached = None
            for name, fact in self._analyzer.module_env().values.items():
                if fact.kind is Kind.IMPORT and fact.qualname == "torch" and "." not in name:
                    cached = name
                    break
            self.cache["torch_alias"] = cached
        return cached


def _is_import(line: cst.SimpleStatementLine) -> bool:
    return all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in line.body)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
