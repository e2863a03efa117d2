"""Code actions: each engine fix as a quick fix, "Disable TLxxx for this line", and fix-all.

The `# noqa: TLxxx` goes on the finding's first line, the one the engine checks. A line whose
end is inside a string or continued by a backslash cannot take a comment there, so it is
offered no such action; nor is a line that a bare `# noqa` already silences.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence

from lsprotocol import types

from torchlint.diagnostics import Position
from torchlint.noqa import NOQA
from torchlint.source import split_lines

from .convert import QuickFix
from .positions import LineIndex

FIX_ALL_KIND = "source.fixAll.torchlint"
_SPANNING_OK = frozenset((tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER))


def wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether the client asked for actions of `kind` (`only` lists kinds and their parents)."""
    return only is None or any(kind == asked or kind.startswith(asked + ".") for asked in only)


class CommentMap:
    """Each line's comment, and the lines whose end cannot take one."""

    def __init__(self, source: str) -> None:
        self.lines = split_lines(source)
        self.comments: dict[int, tuple[int, str]] = {}
        self.blocked: set[int] = set()
        self.valid = True
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        except (tokenize.TokenError, SyntaxError):
            self.valid = False
            return
        for token in tokens:
            if token.type == tokenize.COMMENT:
                self.comments[token.start[0]] = (token.start[1], token.string)
            elif token.end[0] > token.start[0] and token.type not in _SPANNING_OK:
                self.blocked.update(range(token.start[0], token.end[0]))
        for number, text in enumerate(self.lines, 1):
            if number not in self.comments and text.rstrip().endswith("\\"):
                self.blocked.add(number)

    def noqa_edit(self, line: int, code: str) -> tuple[Position, Position, str] | None:
        """The edit that makes 1-based `line` suppress `code`; None when there is none to make."""
        if not self.valid or line > len(self.lines) or line in self.blocked:
            return None
        comment = self.comments.get(line)
        if comment is not None:
            column, text = comment
            matches = list(NOQA.finditer(text))
            if any(match.group("codes") is None for match in matches):
                return None  # a bare noqa comment silences every code already
            for match in matches:
                if code in {c.upper() for c in re.split(r"[\s,]+", match.group("codes"))}:
                    return None
            if matches:
                at = Position(line, column + matches[0].end("codes") + 1)
                return at, at, f", {code}"
        text = self.lines[line - 1]
        return Position(line, len(text.rstrip()) + 1), Position(line, len(text) + 1), f"  # noqa: {code}"


def workspace_edit(
    uri: str, version: int, edits: Sequence[types.TextEdit], document_changes: bool
) -> types.WorkspaceEdit:
    """Versioned when the client supports it, so an edit computed for an older text is refused."""
    if document_changes:
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=identifier, edits=list(edits))]
        )
    return types.WorkspaceEdit(changes={uri: list(edits)})


def fix_title(fix: QuickFix) -> str:
    return fix.title if fix.safe else f"{fix.title} (unsafe)"


def _common_prefix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def whole_text_edit(old: str, new: str, index: LineIndex) -> types.TextEdit:
    """One edit that turns `old` into `new`: the changed middle, between their common prefix and suffix."""
    start = _common_prefix(old, new)
    suffix = _common_prefix(old[start:][::-1], new[start:][::-1])
    if 0 < start < len(old) and old[start - 1] == "\r" and old[start] == "\n":
        start -= 1  # never split a \r\n: a position cannot point between its two characters
    end = len(old) - suffix
    if 0 < end < len(old) and old[end - 1] == "\r" and old[end] == "\n":
        suffix -= 1
        end += 1
    return types.TextEdit(
        range=types.Range(start=index.at_offset(start), end=index.at_offset(end)),
        new_text=new[start : len(new) - suffix],
    )
