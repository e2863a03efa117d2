"""Linting and fixing notebooks and Markdown files through their programs, in document coordinates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from torchlint.api import TensorBinding, inferred_facts
from torchlint.config import NOTEBOOKS
from torchlint.diagnostics import Diagnostic
from torchlint.engine import lint_source
from torchlint.fixer import MAX_PASSES, applicable, apply_fixes, batch
from torchlint.rules.base import Rule
from torchlint.snippets import markdown, notebook
from torchlint.snippets.aliases import seed
from torchlint.snippets.cells import DEFAULT_TABS
from torchlint.snippets.program import Program

NOTEBOOK_SUFFIXES = NOTEBOOKS


def program_of(text: str, path: str, tabs: Sequence[str] = DEFAULT_TABS, default_tab: str | None = None) -> Program:
    """The document's program: a notebook's code cells or a Markdown file's fences, those of `tabs` in a book
    with framework tabs (`default_tab`: the tab of unmarked cells, see `cells.book_default_tab`). Raises
    NotebookError."""
    if path.lower().endswith(NOTEBOOK_SUFFIXES):
        return notebook.program_of(notebook.Notebook.parse(text, path), path, tabs, default_tab)
    return markdown.program_of(text, path, tabs, default_tab)


def lint_program(
    program: Program, path: str, rules: Sequence[Rule], aliases: Mapping[str, str], options: Mapping[str, str] | None
) -> list[Diagnostic]:
    found = lint_source(
        program.text,
        path,
        rules,
        seed=seed(aliases),
        options=options,
        displays=program.displays,
        line_label=program.label,
    )
    mapped = [program.to_document(d) for d in found]
    return sorted(program.problems + mapped, key=lambda d: d.sort_key)


def lint_document(
    text: str,
    path: str,
    rules: Sequence[Rule],
    aliases: Mapping[str, str],
    options: Mapping[str, str] | None = None,
    tabs: Sequence[str] = DEFAULT_TABS,
    default_tab: str | None = None,
) -> list[Diagnostic]:
    """Findings in the document's own positions (cell-relative in notebooks). Raises NotebookError."""
    return lint_program(program_of(text, path, tabs, default_tab), path, rules, aliases, options)


def document_facts(
    text: str,
    path: str,
    aliases: Mapping[str, str],
    tabs: Sequence[str] = DEFAULT_TABS,
    default_tab: str | None = None,
) -> list[TensorBinding]:
    """What the engine inferred about each tensor binding of the document's program, in the document's positions
    (`cell` set in notebooks): for `torchlint shapes`, and for an editor's hints on cells and fences."""
    program = program_of(text, path, tabs, default_tab)
    found = []
    for binding in inferred_facts(program.text, seed(aliases)):
        origin = program.origins[binding.start.line - 1]
        start, end = program.position(binding.start, origin.cell), program.position(binding.end, origin.cell)
        found.append(replace(binding, start=start, end=end, cell=origin.cell))
    return found


@dataclass
class DocumentFix:
    text: str
    fixed: int
    diagnostics: list[Diagnostic]


def fix_document(
    text: str,
    path: str,
    rules: Sequence[Rule],
    aliases: Mapping[str, str],
    *,
    unsafe: bool = False,
    options: Mapping[str, str] | None = None,
    tabs: Sequence[str] = DEFAULT_TABS,
    default_tab: str | None = None,
) -> DocumentFix:
    """Fixes applied where the code lives (each notebook cell, or the Markdown text), re-linted in passes."""
    fixed = 0
    diagnostics = lint_document(text, path, rules, aliases, options, tabs, default_tab)
    for _ in range(MAX_PASSES):
        candidates = batch([d for d in diagnostics if applicable(d.fix, unsafe)])
        if not candidates:
            break
        new_text, applied = _apply(text, path, candidates)
        if applied == 0 or new_text == text:
            break
        program = program_of(new_text, path, tabs, default_tab)
        if len(program.problems) > len(program_of(text, path, tabs, default_tab).problems):
            break  # a fix broke a block or cell: keep the last good text
        text, fixed = new_text, fixed + applied
        diagnostics = lint_program(program, path, rules, aliases, options)
    return DocumentFix(text, fixed, diagnostics)


def _apply(text: str, path: str, candidates: list[Diagnostic]) -> tuple[str, int]:
    if not path.lower().endswith(NOTEBOOK_SUFFIXES):
        return apply_fixes(text, [d.fix for d in candidates])  # type: ignore[misc]
    book = notebook.Notebook.parse(text, path)
    cells = dict(book.cells)
    applied = 0
    for number in sorted({d.cell for d in candidates if d.cell in cells}):
        fixes = [d.fix for d in candidates if d.cell == number]
        cells[number], count = apply_fixes(cells[number], fixes)  # type: ignore[arg-type]
        applied += count
    return book.with_cells(cells), applied
