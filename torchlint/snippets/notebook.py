"""Jupyter notebooks: code cells in order form one program; IPython syntax is blanked, not an error."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from torchlint.snippets.program import Origin, Program, displayed_lines, parse_problem, syntax_problem

_MAGIC = re.compile(r"^\s*(%|!|\?)|^\s*\S.*\?\s*$")


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


def blank_ipython(source: str) -> str:
    """Cell magics blank the whole cell; line magics, shell escapes and `?` help lines become `pass`."""
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join("" for _ in lines)
    blanked = []
    for line in lines:
        if _MAGIC.match(line) and not line.lstrip().startswith("#"):
            indent = line[: len(line) - len(line.lstrip())]
            blanked.append(f"{indent}pass" if indent else "")
        else:
            blanked.append(line)
    return "\n".join(blanked)


def program_of(notebook: Notebook, path: str) -> Program:
    """The code cells as one program; a cell that does not parse is left out and reported."""
    parts: list[str] = []
    origins: list[Origin] = []
    displays: set[int] = set()
    problems = []
    for number, source in notebook.cells.items():
        code = blank_ipython(source)
        problem = parse_problem(code)
        lines = code.split("\n")
        if problem is not None:
            problems.append(syntax_problem(path, problem[0], problem[1], problem[2], cell=number))
            lines = [""] * len(lines)
            code = "\n".join(lines)
        base = len(origins)
        displays.update(base + line for line in displayed_lines(code, last_only=True))
        parts.append(code if code.endswith("\n") else code + "\n")
        count = len(lines) if not code.endswith("\n") else len(lines) - 1
        origins.extend(Origin(number, line) for line in range(1, count + 1))
    return Program("".join(parts), origins or [Origin(None, 1)], frozenset(displays), problems)
