"""Engine positions (1-based line, 1-based column in code points) to LSP positions and back.

LSP columns count in the encoding negotiated at `initialize` (UTF-16 code units unless the
client offers UTF-8 or UTF-32). Lines break exactly where the parser breaks them (\\r\\n, \\r,
\\n): pygls' own helpers use `str.splitlines`, which also breaks at form feeds and U+2028, so a
file holding either would shift every position after it.
"""

from __future__ import annotations

import bisect

from lsprotocol import types

from torchlint.diagnostics import Position
from torchlint.source import LINE_BREAK

UTF8 = types.PositionEncodingKind.Utf8
UTF16 = types.PositionEncodingKind.Utf16
UTF32 = types.PositionEncodingKind.Utf32


def units(text: str, encoding: str) -> int:
    """How many code units of `encoding` the client counts for `text`."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def code_points(text: str, count: int, encoding: str) -> int:
    """How many leading characters of `text` fit in `count` code units (a split character is left out)."""
    if encoding == UTF32 or text.isascii():
        return min(count, len(text))
    used = 0
    for index, char in enumerate(text):
        used += units(char, encoding)
        if used > count:
            return index
    return len(text)


class LineIndex:
    """One text's lines, for converting positions in both directions and to string offsets."""

    def __init__(self, text: str, encoding: str) -> None:
        self.text = text
        self.encoding = encoding
        self.lines = LINE_BREAK.split(text)
        self.starts = [0, *(match.end() for match in LINE_BREAK.finditer(text))]

    def to_lsp(self, position: Position) -> types.Position:
        """An engine position as the client counts it; past the end clamps to the end."""
        line = max(position.line - 1, 0)
        if line >= len(self.lines):
            last = len(self.lines) - 1
            return types.Position(line=last, character=units(self.lines[last], self.encoding))
        text = self.lines[line]
        column = min(max(position.column - 1, 0), len(text))
        return types.Position(line=line, character=units(text[:column], self.encoding))

    def range(self, start: Position, end: Position) -> types.Range:
        return types.Range(start=self.to_lsp(start), end=self.to_lsp(end))

    def from_lsp(self, position: types.Position) -> Position | None:
        """A client position as an engine position; None for a line the text does not have."""
        if position.line < 0 or position.line >= len(self.lines) or position.character < 0:
            return None
        text = self.lines[position.line]
        return Position(position.line + 1, code_points(text, position.character, self.encoding) + 1)

    def offset(self, position: types.Position) -> int:
        """A client position as an index into the text, clamped to the text (for applying edits)."""
        if position.line >= len(self.lines):
            return len(self.text)
        if position.line < 0:
            return 0
        text = self.lines[position.line]
        return self.starts[position.line] + code_points(text, max(position.character, 0), self.encoding)

    def at_offset(self, offset: int) -> types.Position:
        """The client position of an index into the text."""
        line = bisect.bisect_right(self.starts, offset) - 1
        return self.to_lsp(Position(line + 1, offset - self.starts[line] + 1))
