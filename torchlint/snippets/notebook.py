"""Jupyter notebooks: code cells in order form one program, each read the way IPython runs it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from torchlint.snippets import cells
from torchlint.snippets.program import Origin, Program, displayed_lines, parse_problem, syntax_problem


class NotebookError(Exception):
    """The file is not a notebook torchlint can read; the message says why."""


@dataclass
class Notebook:
    data: dict
    cells: dict[int, str]  # code cell sources by their 1-based position among all cells
    indent: int | None
    trailing_newline: bool
    ascii_only: bool

    @classmethod
    def parse(cls, text: str, path: str) -> Notebook:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise NotebookError(f"{path}: not valid notebook JSON: {error}") from error
        if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
            raise NotebookError(f"{path}: not a notebook (no `cells` list)")
        cells = {
            number: _source(cell)
            for number, cell in enumerate(data["cells"], 1)
            if isinstance(cell, dict) and cell.get("cell_type") == "code"
        }
        return cls(data, cells, _indent(text), text.endswith("\n"), text.isascii())

    def with_cells(self, sources: dict[int, str]) -> str:
        """The notebook as JSON text again, changed code cells replaced, layout (indent, key order, newline) kept."""
        for number, new in sources.items():
            cell = self.data["cells"][number - 1]
            if new != _source(cell):
                cell["source"] = new.splitlines(keepends=True) if isinstance(cell.get("source"), list) else new
        text = json.dumps(self.data, indent=self.indent, ensure_ascii=self.ascii_only)
        return text + "\n" if self.trailing_newline else text


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _indent(text: str) -> int | None:
    for line in text.splitlines()[1:2]:
        stripped = line.lstrip(" ")
        return len(line) - len(stripped) or None
    return None


def program_of(
    notebook: Notebook, path: str, tabs: Sequence[str] = cells.DEFAULT_TABS, default_tab: str | None = None
) -> Program:
    """The code cells, as IPython runs them, as one program; a cell that does not parse is left out and reported."""
    parts: list[str] = []
    origins: list[Origin] = []
    displays: set[int] = set()
    problems = []
    snippets = {number: cells.read(source) for number, source in notebook.cells.items()}
    chosen = dict(zip(snippets, cells.selected(list(snippets.values()), tabs, default_tab), strict=True))
    for number, snippet in snippets.items():
        lines = [line.text for line in snippet.cell.lines]
        code = "\n".join(lines) if chosen[number] else ""
        problem = parse_problem(code) if chosen[number] else None
        if problem is not None:
            line, column, message = problem
            shift = snippet.cell.lines[line - 1].shift if line <= len(lines) else 0
            problems.append(syntax_problem(path, line, column + shift, message, cell=number))
        if problem is not None or not chosen[number]:
            code = "\n".join("" for _ in lines)
        base = len(origins)
        displays.update(base + line for line in displayed_lines(code, last_only=True))
        parts.append(code if code.endswith("\n") else code + "\n")
        count = len(lines) if not code.endswith("\n") else len(lines) - 1
        origins.extend(Origin(number, n, snippet.cell.lines[n - 1].shift) for n in range(1, count + 1))
    analysed = sum(chosen.values())
    return Program("".join(parts), origins or [Origin(None, 1)], frozenset(displays), problems, analysed)
