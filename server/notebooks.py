"""Open notebooks (LSP 3.17 notebook sync): their cells in order, each cell's text, and the notebook
JSON the engine lints them from.

The engine reads a notebook's Python code cells as one program, in cell order, so a name bound in
one cell is known in the next; it reports each finding by cell (its 1-based index among all cells)
with cell-relative positions, which `NotebookView.split` turns into findings per cell document.
Cell texts are edited like text documents (see `server.documents`), with the server's line breaks.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lsprotocol import types
from pygls.uris import to_fs_path

from torchlint.config import NOTEBOOKS
from torchlint.diagnostics import Diagnostic

from .convert import Published, to_lsp
from .documents import apply_change
from .positions import LineIndex

NOTEBOOK_TYPE = "jupyter-notebook"
PYTHON = "python"
CELL_LANGUAGES = (PYTHON, "markdown")  # markdown cells too, so cell numbers in messages match the file's


@dataclass
class CellText:
    language_id: str
    version: int
    text: str


@dataclass(frozen=True)
class CellView:
    """One cell as a lint read it."""

    uri: str
    version: int
    text: str
    cell_type: str  # as in a notebook file: "code" (Python), "markdown", or "raw" (code in another language)


@dataclass(frozen=True)
class NotebookView:
    """A notebook as a lint read it: the JSON text the engine gets, and where its findings go."""

    cells: tuple[CellView, ...]

    @property
    def text(self) -> str:
        return json.dumps({"cells": [{"cell_type": cell.cell_type, "source": cell.text} for cell in self.cells]})

    def split(self, diagnostics: Sequence[Diagnostic], encoding: str) -> dict[str, Published]:
        """Each cell's version and findings, every cell listed (a clean one with none). A finding of the whole
        notebook (no cell: a time limit, an engine failure) goes on its first code cell."""
        found = {cell.uri: Published(cell.version, []) for cell in self.cells}
        code = [number for number, cell in enumerate(self.cells, 1) if cell.cell_type == "code"]
        indexes: dict[int, LineIndex] = {}
        for diagnostic in diagnostics:
            number = diagnostic.cell if diagnostic.cell is not None else (code[0] if code else None)
            if number is None or not 1 <= number <= len(self.cells):
                continue
            cell = self.cells[number - 1]
            if number not in indexes:
                indexes[number] = LineIndex(cell.text, encoding)
            found[cell.uri].items.append(to_lsp(diagnostic, indexes[number], cell.version))
        return found


@dataclass
class Notebook:
    uri: str
    serial: int  # tells one opening of a URI from the next
    order: list[str]  # the cells' document URIs, in notebook order
    kinds: dict[str, types.NotebookCellKind]
    texts: dict[str, CellText]  # by cell document URI
    revision: int = 0  # bumped by every change that may change the program (not by metadata alone)

    @property
    def key(self) -> tuple[int, int]:
        """Which program of the notebook a result was computed for."""
        return self.serial, self.revision

    @property
    def path(self) -> str | None:
        return to_fs_path(self.uri) if self.uri.startswith("file:") else None

    @property
    def name(self) -> str:
        return self.path or self.uri

    @property
    def lint_name(self) -> str:
        """A name ending in `.ipynb`, so the engine reads the text as notebook JSON."""
        return self.name if self.name.lower().endswith(NOTEBOOKS) else self.name + NOTEBOOKS[0]

    def view(self) -> NotebookView:
        cells = []
        for uri in self.order:
            cell = self.texts.get(uri, CellText(PYTHON, 0, ""))
            if self.kinds.get(uri) == types.NotebookCellKind.Markup:
                cell_type = "markdown"
            else:
                cell_type = "code" if cell.language_id == PYTHON else "raw"
            cells.append(CellView(uri, cell.version, cell.text, cell_type))
        return NotebookView(tuple(cells))

    def apply(self, change: types.NotebookDocumentChangeEvent, encoding: str) -> bool:
        """Apply a `notebookDocument/didChange`; whether the program may have changed."""
        cells = change.cells
        if cells is None:
            return False
        changed = bool(cells.structure or cells.text_content)
        for cell in cells.data or []:  # mostly execution summaries; a cell may change kind too
            if cell.document in self.kinds and self.kinds[cell.document] != cell.kind:
                self.kinds[cell.document] = cell.kind
                changed = True
        if cells.structure is not None:
            array = cells.structure.array
            added = list(array.cells or [])
            self.order[array.start : array.start + array.delete_count] = [cell.document for cell in added]
            self.kinds.update((cell.document, cell.kind) for cell in added)
            for identifier in cells.structure.did_close or []:  # before the openings: a new language reopens
                self.texts.pop(identifier.uri, None)
            for item in cells.structure.did_open or []:
                self.texts[item.uri] = CellText(item.language_id, item.version, item.text)
            listed = set(self.order)
            self.kinds = {uri: kind for uri, kind in self.kinds.items() if uri in listed}
        for content in cells.text_content or []:
            text = self.texts.get(content.document.uri)
            if text is None:
                continue
            for edit in content.changes:
                text.text = apply_change(text.text, edit, encoding)
            text.version = content.document.version
        return changed


class Notebooks:
    """Open notebooks by URI, and which notebook each cell belongs to."""

    def __init__(self) -> None:
        self._open: dict[str, Notebook] = {}
        self._serials = itertools.count(1)

    def open(self, params: types.DidOpenNotebookDocumentParams) -> Notebook:
        document = params.notebook_document
        notebook = Notebook(
            document.uri,
            next(self._serials),
            [cell.document for cell in document.cells],
            {cell.document: cell.kind for cell in document.cells},
            {item.uri: CellText(item.language_id, item.version, item.text) for item in params.cell_text_documents},
        )
        self._open[notebook.uri] = notebook
        return notebook

    def change(self, params: types.DidChangeNotebookDocumentParams, encoding: str) -> Notebook | None:
        """The notebook after the change, if it is open and its program may have changed."""
        notebook = self._open.get(params.notebook_document.uri)
        if notebook is None or not notebook.apply(params.change, encoding):
            return None
        notebook.revision += 1
        return notebook

    def close(self, uri: str) -> Notebook | None:
        return self._open.pop(uri, None)

    def get(self, uri: str) -> Notebook | None:
        return self._open.get(uri)

    def owner(self, cell_uri: str) -> Notebook | None:
        """The open notebook that holds the cell."""
        return next((notebook for notebook in self._open.values() if cell_uri in notebook.kinds), None)

    def __iter__(self) -> Iterator[Notebook]:
        return iter(list(self._open.values()))
