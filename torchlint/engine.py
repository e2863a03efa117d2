"""Lint one source text: parse once, one analysis pass feeding every rule, then positions and noqa."""

from __future__ import annotations

import ast
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial

import libcst as cst
from libcst.metadata import CodeRange

from torchlint import fixes, noqa
from torchlint.context import Report, RuleContext
from torchlint.diagnostics import INTERNAL_ERROR_CODE, SYNTAX_ERROR_CODE, Diagnostic, Edit, Fix, Position, Severity
from torchlint.fixes import Anchor, PendingFix
from torchlint.infer.analyzer import Analyzer, Dispatch
from torchlint.infer.facts import Device, Fact
from torchlint.positions import positions as locate
from torchlint.positions import statement_lines
from torchlint.rules.base import Rule
from torchlint.snippets import jupytext
from torchlint.source import split_lines

SYNTAX_ERROR = (SYNTAX_ERROR_CODE, "syntax-error")
INTERNAL_ERROR = (INTERNAL_ERROR_CODE, "internal-error")
ANALYSIS_LIMIT = ("TL003", "analysis-timeout")


def _displayed_statements(module: cst.Module, tree: ast.Module | None, lines: frozenset[int]) -> frozenset[int]:
    """Ids of the top-level statements (and their small statements) that start on a display line."""
    starts = statement_lines(module, tree) if tree is not None else None
    if starts is None:  # LibCST alone accepted the file: count lines by regenerating each statement
        starts, line = [], 1 + len(module.header)
        for statement in module.body:
            starts.append(line)
            line += module.code_for_node(statement).count("\n")
    shown: set[int] = set()
    for statement, start in zip(module.body, starts, strict=True):
        if start + len(statement.leading_lines) in lines:
            shown.add(id(statement))
            if isinstance(statement, cst.SimpleStatementLine):
                shown.update(id(small) for small in statement.body)
    return frozenset(shown)


def build_dispatch(
    rules: Sequence[Rule],
    analyzer: Analyzer,
    reports: list[Report],
    options: Mapping[str, str] | None = None,
    displayed: frozenset[int] | None = None,
    cache: dict | None = None,
) -> Dispatch:
    """Each rule's hooks by node type; `cache` is the rules' per-file cache (a new one if not given)."""
    dispatch: Dispatch = {}
    cache = {} if cache is None else cache
    for rule in rules:
        ctx = RuleContext(rule, analyzer, reports, cache, options)
        if displayed is not None:
            ctx.snippet = True
            ctx.displayed = displayed
        for node_name, hook in rule.hooks().items():
            node_type = getattr(cst, node_name)
            dispatch.setdefault(node_type, []).append(partial(hook, ctx=ctx))  # hooks are `visit_X(node, ctx)`
    return dispatch


def default_device_of(source: str) -> Device:
    """A file that changes the default device makes every factory's device unknown."""
    if "set_default_device" in source or "set_default_tensor_type" in source:
        return Device.UNKNOWN
    return Device.CPU


def anchored_nodes(reports: list[Report]) -> Iterator[cst.CSTNode]:
    """Every node whose position a report needs: its range, its message references, its fixes' anchors."""
    for report in reports:
        yield report.node
        yield report.end
        yield from report.refs.values()
        for fix in (report.fix, *report.alternatives):
            if fix is not None:
                for edit in fix.edits:
                    yield edit.start.node
                    yield edit.end.node


class _FixResolver:
    """Turns node-anchored edits into line/column edits."""

    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange], source: str) -> None:
        self.positions = positions
        self.lines = split_lines(source)

    def _position(self, anchor: Anchor) -> Position:
        where = self.positions[anchor.node]
        if anchor.at == fixes.START:
            return Position(where.start.line, where.start.column + 1)
        if anchor.at == fixes.END:
            return Position(where.end.line, where.end.column + 1)
        if anchor.at == fixes.LINE_START:
            return Position(where.start.line, 1)
        return Position(where.end.line + 1, 1)

    def _indent(self, anchor: Anchor) -> str:
        line = self.lines[self.positions[anchor.node].start.line - 1]
        return line[: len(line) - len(line.lstrip())]

    def __call__(self, pending: PendingFix) -> Fix:
        edits = tuple(
            Edit(self._position(e.start), self._position(e.end), e.text.replace(fixes.INDENT, self._indent(e.start)))
            for e in pending.edits
        )
        return Fix(pending.title, pending.applicability, edits, pending.rebinds)


_NESTING = ("too many nested parentheses", "too many levels of indentation", "too many statically nested blocks")


def _cpython_parse(source: str) -> tuple[ast.Module | None, Diagnostic | None]:
    """CPython's parser first: fast, with the best messages, and it refuses the deeply nested inputs
    that crash LibCST's native parser. Its tree also locates statements for `positions`."""
    try:
        return ast.parse(source), None
    except SyntaxError as error:
        where = Position(error.lineno or 1, max(error.offset or 1, 1))
        return None, _syntax(where, error.msg)
    except (RecursionError, MemoryError):
        return None, _syntax(Position(1, 1), "too deeply nested for Python's parser")
    except ValueError as error:  # NUL bytes
        return None, _syntax(Position(1, 1), str(error))


def _syntax(where: Position, message: str) -> Diagnostic:
    return Diagnostic("", *SYNTAX_ERROR, f"Syntax error: {message}", Severity.ERROR, where, where)


def _may_be_newer_syntax(verdict: Diagnostic) -> bool:
    """A plain syntax error may be syntax of a newer Python that LibCST knows; nesting limits are final."""
    return not any(text in verdict.message for text in _NESTING) and "deeply nested" not in verdict.message


class AnalysisTimeout(Exception):
    """Raised (by a timer the caller sets) when one file takes longer than its time bound."""


def analysis_limit(path: str, why: str) -> Diagnostic:
    start = Position(1, 1)
    return Diagnostic(path, *ANALYSIS_LIMIT, f"File not analysed: {why}", Severity.WARNING, start, start)


def internal_error(path: str, exc: BaseException) -> Diagnostic:
    start = Position(1, 1)
    return Diagnostic(
        path,
        *INTERNAL_ERROR,
        f"Internal error while analysing this file: {type(exc).__name__}: {exc}",
        Severity.ERROR,
        start,
        start,
        detail="".join(traceback.format_exception(exc)),
    )


def lint_source(
    source: str,
    path: str,
    rules: Sequence[Rule],
    *,
    seed: dict[str, Fact] | None = None,
    options: Mapping[str, str] | None = None,
    displays: frozenset[int] | None = None,
    line_label: Callable[[int], str] = str,
) -> list[Diagnostic]:
    """All findings for one file, sorted; never raises for a bad input.

    `options` are the settings-derived rule options (`Settings.rule_options()`), by configuration key.
    `displays` marks a snippet (notebook, Markdown): the lines where an expression is displayed, REPL style.
    `line_label` names a line in messages ("at line 3 of cell 2" for a notebook's program).
    """
    if noqa.file_disabled(source):
        return []
    if displays is None and path.endswith(".py"):
        displays = jupytext.displays(source)
    rules = active_rules(source, rules, seed)
    tree, verdict = _cpython_parse(source)
    if verdict is not None and not _may_be_newer_syntax(verdict):
        return [replace(verdict, path=path)]
    if not rules and verdict is None:
        return []
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError) as error:
        if verdict is None:  # LibCST alone refuses it
            message = str(getattr(error, "message", error)).strip().splitlines()[0] or "invalid syntax"
            where = Position(getattr(error, "editor_line", 1), getattr(error, "editor_column", 1))
            verdict = _syntax(where, message)
        return [replace(verdict, path=path)]
    if not rules:
        return []
    return guarded(path, lambda: _analyse(module, tree, source, path, rules, seed, options, displays, line_label))


def active_rules(source: str, rules: Sequence[Rule], seed: dict[str, Fact] | None = None) -> list[Rule]:
    """The rules that can report anything in `source`: none without `torch`, each only with its `requires`."""
    if seed is None and "torch" not in source:
        return []
    return [r for r in rules if not r.requires or any(text in source for text in r.requires)]


def guarded(path: str, analyse: Callable[[], list[Diagnostic]]) -> list[Diagnostic]:
    """The findings `analyse` gives; a TL003 or TL002 finding where it fails (a time bound still raises)."""
    try:
        return analyse()
    except RecursionError:
        return [analysis_limit(path, "nested too deeply for the analysis (recursion limit)")]
    except AnalysisTimeout:
        raise
    except Exception as error:  # one bad file must never end the run
        return [internal_error(path, error)]


def _analyse(
    module: cst.Module,
    tree: ast.Module | None,
    source: str,
    path: str,
    rules: Sequence[Rule],
    seed: dict[str, Fact] | None,
    options: Mapping[str, str] | None = None,
    displays: frozenset[int] | None = None,
    line_label: Callable[[int], str] = str,
) -> list[Diagnostic]:
    reports: list[Report] = []
    analyzer = Analyzer(module, {}, seed=seed, default_device=default_device_of(source))
    shown = _displayed_statements(module, tree, displays) if displays is not None else None
    cache = {"source": source, "classes_by_name": analyzer.bindings.classes_by_name()}
    analyzer.dispatch.update(build_dispatch(rules, analyzer, reports, options, shown, cache))
    analyzer.run()
    if not reports:
        return []
    positions = locate(module, tree, anchored_nodes(reports))
    return diagnostics_of(reports, positions, source, path, line_label)


def diagnostics_of(
    reports: list[Report],
    positions: Mapping[cst.CSTNode, CodeRange],
    source: str,
    path: str,
    line_label: Callable[[int], str] = str,
) -> list[Diagnostic]:
    """The reports as sorted diagnostics, with their fixes, less those a `noqa` comment suppresses."""
    suppressed = noqa.suppressions(source)
    diagnostics: dict[tuple, Diagnostic] = {}
    resolve = _FixResolver(positions, source)
    for report in reports:
        start = positions[report.node].start
        end = positions[report.end].end
        if noqa.is_suppressed(suppressed, start.line, report.rule.code):
            continue
        message = report.message
        for key, node in report.refs.items():
            where = positions.get(node)
            message = message.replace("{" + key + "}", line_label(where.start.line) if where else "?")
        diagnostic = Diagnostic(
            path,
            report.rule.code,
            report.rule.name,
            message,
            report.severity,
            Position(start.line, start.column + 1),
            Position(end.line, end.column + 1),
            fix=resolve(report.fix) if report.fix is not None else None,
            alternatives=tuple(resolve(f) for f in report.alternatives),
        )
        diagnostics.setdefault((diagnostic.code, diagnostic.start), diagnostic)
    return sorted(diagnostics.values(), key=lambda d: d.sort_key)
