"""Engine diagnostics as LSP diagnostics, their fixes carried along in `data`.

`data` holds the document version the finding was computed for and its fixes as ready-made
text edits (already in the client's position encoding), so a code action needs no re-lint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from lsprotocol import types

from torchlint.diagnostics import Applicability, Diagnostic, Fix, Severity
from torchlint.links import rule_url

from .positions import LineIndex

SOURCE = "torchlint"

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def _position(position: types.Position) -> dict[str, int]:
    return {"line": position.line, "character": position.character}


def _fix_data(fix: Fix, index: LineIndex) -> dict[str, object]:
    edits = []
    for edit in fix.edits:
        where = index.range(edit.start, edit.end)
        edits.append(
            {"range": {"start": _position(where.start), "end": _position(where.end)}, "newText": edit.replacement}
        )
    return {"title": fix.title, "safe": fix.applicability is Applicability.SAFE, "edits": edits}


def to_lsp(diagnostic: Diagnostic, index: LineIndex, version: int) -> types.Diagnostic:
    fixes = [diagnostic.fix] if diagnostic.fix is not None else []
    fixes.extend(diagnostic.alternatives)
    return types.Diagnostic(
        range=index.range(diagnostic.start, diagnostic.end),
        message=diagnostic.message,
        severity=SEVERITIES[diagnostic.severity],
        code=diagnostic.code,
        code_description=types.CodeDescription(href=rule_url(diagnostic.code, diagnostic.name)),
        source=SOURCE,
        data={"version": version, "fixes": [_fix_data(fix, index) for fix in fixes]},
    )


class Published(NamedTuple):
    """One document's findings as the client gets them, and the document version they are for."""

    version: int
    items: list[types.Diagnostic]


@dataclass(frozen=True)
class QuickFix:
    """One fix of a published diagnostic, as `data` carries it."""

    title: str
    safe: bool
    edits: tuple[types.TextEdit, ...]


def _read_position(raw: Mapping[str, object]) -> types.Position:
    line, character = raw["line"], raw["character"]
    if not isinstance(line, int) or not isinstance(character, int):
        raise TypeError("position fields must be integers")
    return types.Position(line=line, character=character)


def _read_fix(raw: Mapping[str, object]) -> QuickFix:
    edits = []
    for edit in raw["edits"]:  # type: ignore[attr-defined]
        where = edit["range"]
        edits.append(
            types.TextEdit(
                range=types.Range(start=_read_position(where["start"]), end=_read_position(where["end"])),
                new_text=str(edit["newText"]),
            )
        )
    return QuickFix(str(raw["title"]), bool(raw["safe"]), tuple(edits))


def read_data(data: object) -> tuple[int, list[QuickFix]] | None:
    """The version and fixes a diagnostic's `data` carries; None when it is not ours or is damaged."""
    if not isinstance(data, Mapping):
        return None
    try:
        version, fixes = data["version"], data["fixes"]
        if not isinstance(version, int) or not isinstance(fixes, Iterable):
            return None
        return version, [_read_fix(fix) for fix in fixes]
    except (KeyError, TypeError, AttributeError):
        return None
