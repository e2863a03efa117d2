"""`torchlint shapes PATH...`: each tensor assignment annotated with its inferred shape (like reveal_type).

A Python file prints as itself; a notebook prints each analysed code cell, a Markdown file each analysed fence,
under a header naming where it is (`# cell 3`, `# lines 12-18`), as the document's program sees them (names from
earlier cells known, IPython syntax read as IPython does). Folders are walked as `torchlint check` walks them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from torchlint.api import TensorBinding, inferred_facts
from torchlint.config import ConfigError, ConfigResolver, Overrides, Settings
from torchlint.files import discover
from torchlint.runner import is_document_name
from torchlint.source import SourceError, read_file


def annotate(source: str) -> str:
    """`source` with `# name: Tensor[...] dtype device` after each line that binds a tensor."""
    notes = _notes(inferred_facts(source))
    lines = []
    for number, line in enumerate(source.splitlines(), 1):
        lines.append(_noted(line, notes.get(number)))
    return "\n".join(lines) + "\n"


def _notes(bindings: Sequence[TensorBinding]) -> dict[int, list[str]]:
    notes: dict[int, list[str]] = {}
    for binding in bindings:
        notes.setdefault(binding.start.line, []).append(f"{binding.name}: {binding.describe()}")
    return notes


def _noted(line: str, notes: list[str] | None) -> str:
    return f"{line}  # {'; '.join(notes)}" if notes else line


@dataclass
class _Block:
    """A cell or fence as printed: `first` is the number of its first line (in the cell, or in the document)."""

    cell: int | None
    title: str
    first: int
    lines: list[str]


def annotate_document(text: str, path: str, settings: Settings) -> str:
    """The analysed cells or fences of a notebook or Markdown file, annotated in their own lines. Raises
    NotebookError."""
    from torchlint.snippets import d2lbook, markdown, notebook
    from torchlint.snippets.documents import document_facts, program_of

    default_tab = d2lbook.default_tab(path)
    program = program_of(text, path, settings.snippet_tabs, default_tab)
    notes: dict[tuple[int | None, int], list[str]] = {}
    for binding in document_facts(text, path, settings.snippet_aliases, settings.snippet_tabs, default_tab):
        notes.setdefault((binding.cell, binding.start.line), []).append(f"{binding.name}: {binding.describe()}")
    analysed = {(o.cell, o.line) for o, code in zip(program.origins, program.text.split("\n"), strict=False) if code}
    analysed |= {(p.cell, p.start.line) for p in program.problems}
    if path.lower().endswith(".ipynb"):
        cells = notebook.Notebook.parse(text, path).cells
        blocks = [_Block(number, f"cell {number}", 1, source.split("\n")) for number, source in cells.items()]
    else:
        document = text.split("\n")
        blocks = []
        for fence in markdown.fences(text):
            if fence.lines:
                first, last = fence.lines[0][0] + 1, fence.lines[-1][0] + 1
                title = f"line {first}" if first == last else f"lines {first}-{last}"
                blocks.append(_Block(None, title, first, document[first - 1 : last]))
    out: list[str] = []
    for block in blocks:
        numbers = range(block.first, block.first + len(block.lines))
        if not any((block.cell, n) in analysed for n in numbers):
            continue  # not analysed: no code, another framework's tab, a non-Python cell magic
        header = f"# {block.title}"
        problem = next((p for p in program.problems if p.cell == block.cell and p.start.line in numbers), None)
        if problem is not None:
            header += f": {problem.message} (line {problem.start.line}, column {problem.start.column}); not analysed"
        out.append(header)
        out.extend(_noted(line, notes.get((block.cell, n))) for n, line in zip(numbers, block.lines, strict=True))
        out.append("")
    return "\n".join(out)


def _show_one(path: Path, resolver: ConfigResolver) -> tuple[str | None, str | None]:
    """(annotated text, error) for one file."""
    from torchlint.snippets.notebook import NotebookError

    try:
        source = read_file(path).text
    except SourceError as error:
        return None, str(error)
    if is_document_name(str(path)):
        try:
            return annotate_document(source, str(path), resolver.for_path(path)), None
        except NotebookError as error:
            return None, str(error)
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return None, f"{path}: syntax error at line {error.editor_line}"
    return annotate(source), None


def run(paths: Sequence[str]) -> int:
    """Print each file annotated; 2 when one cannot be read or a Python file does not parse (the others are
    still printed)."""
    try:
        resolver = ConfigResolver(Overrides())
        files = list(discover([Path(p) for p in paths], resolver))
    except ConfigError as error:
        print(f"torchlint: error: {error}", file=sys.stderr)
        return 2
    status = 0
    several = len(files) > 1 or any(Path(p).is_dir() for p in paths)
    for path in files:
        if not path.exists():
            print(f"torchlint: error: {path}: No such file or directory", file=sys.stderr)
            status = 2
            continue
        text, error = _show_one(path, resolver)
        if error is not None:
            print(f"torchlint: error: {error}", file=sys.stderr)
            status = 2
            continue
        if several:
            sys.stdout.write(f"==> {path} <==\n")
        sys.stdout.write(text or "")
        if several:
            sys.stdout.write("\n")
    return status
