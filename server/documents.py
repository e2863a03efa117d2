"""The open documents' text and version, kept by the server itself.

pygls keeps a copy too, but applies incremental edits by `str.splitlines` lines, which
disagrees with the client (and the parser) on form feeds and U+2028; this copy is edited with
the same line breaks as every position the server sends (see `torchlint.server.positions`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lsprotocol import types
from pygls.uris import to_fs_path

from torchlint.config import MARKDOWN, NOTEBOOKS
from torchlint.diagnostics import Diagnostic

from .convert import Published, to_lsp
from .positions import LineIndex

MARKDOWN_LANGUAGE = "markdown"


@dataclass
class Document:
    uri: str
    version: int
    text: str
    serial: int  # tells one opening of a URI from the next (versions restart at each)
    language_id: str = "python"

    @property
    def key(self) -> tuple[int, int]:
        """Which text of the document a result was computed for."""
        return self.serial, self.version

    @property
    def path(self) -> str | None:
        """The file system path of a `file:` document; None for `untitled:` and other schemes."""
        return to_fs_path(self.uri) if self.uri.startswith("file:") else None

    @property
    def name(self) -> str:
        """What diagnostics call the document: its path, else its URI."""
        return self.path or self.uri

    @property
    def lint_name(self) -> str | None:
        """The name the engine lints the text under, its suffix saying how: Markdown (by language or suffix),
        else Python. None for notebook JSON: notebooks come as cells, through notebook sync, and findings
        in the JSON text would be placed by cell, not by its own lines."""
        name = self.name
        if name.lower().endswith(NOTEBOOKS):
            return None
        if self.language_id == MARKDOWN_LANGUAGE and not name.lower().endswith(MARKDOWN):
            return name + MARKDOWN[0]
        return name

    @property
    def is_python(self) -> bool:
        """Whether the whole text is Python (tensor facts, `# noqa` edits), not a document holding some."""
        name = self.lint_name
        return name is not None and not name.lower().endswith(MARKDOWN)

    def view(self) -> TextView:
        return TextView(self.uri, self.version, self.text)


@dataclass(frozen=True)
class TextView:
    """A text document as a lint read it."""

    uri: str
    version: int
    text: str

    def split(self, diagnostics: Sequence[Diagnostic], encoding: str) -> dict[str, Published]:
        """The findings for the client: all on the document itself (see `NotebookView.split` for cells)."""
        index = LineIndex(self.text, encoding)
        return {self.uri: Published(self.version, [to_lsp(d, index, self.version) for d in diagnostics])}


def apply_change(text: str, change: types.TextDocumentContentChangeEvent, encoding: str) -> str:
    if isinstance(change, types.TextDocumentContentChangePartial):
        index = LineIndex(text, encoding)
        start, end = index.offset(change.range.start), index.offset(change.range.end)
        return text[:start] + change.text + text[max(start, end) :]
    return change.text


class Documents:
    """Open documents by URI."""

    def __init__(self) -> None:
        self._open: dict[str, Document] = {}
        self._serials = itertools.count(1)

    def open(self, uri: str, version: int, text: str, language_id: str = "python") -> Document:
        document = Document(uri, version, text, next(self._serials), language_id)
        self._open[uri] = document
        return document

    def change(
        self, uri: str, version: int, changes: Sequence[types.TextDocumentContentChangeEvent], encoding: str
    ) -> Document | None:
        document = self._open.get(uri)
        if document is None:
            return None
        for change in changes:
            document.text = apply_change(document.text, change, encoding)
        document.version = version
        return document

    def close(self, uri: str) -> None:
        self._open.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        return self._open.get(uri)

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._open.values()))
