"""The content cache: findings keyed by file content, torchlint version and the rules in force.

A hit needs no parse (and no LibCST import); anything odd about an entry — unreadable, not
JSON, another version's, another key's — is treated as a miss and rewritten, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from torchlint import __version__
from torchlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Severity

FOLDER = ".torchlint_cache"
_FORMAT = 2


def fingerprint(codes: Sequence[str], options: Sequence[tuple[str, str]] = ()) -> str:
    """What besides the content decides the findings: version and effective rule set."""
    text = json.dumps([__version__, _FORMAT, sorted(codes), sorted(options)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _position(data: list[int]) -> Position:
    line, column = data
    if not isinstance(line, int) or not isinstance(column, int):
        raise TypeError("position")
    return Position(line, column)


def _fix_to_json(fix: Fix) -> dict:
    return {
        "title": fix.title,
        "applicability": fix.applicability.value,
        "edits": [[e.start.line, e.start.column, e.end.line, e.end.column, e.replacement] for e in fix.edits],
        "rebinds": list(fix.rebinds),
    }


def _fix_from_json(data: dict) -> Fix:
    edits = tuple(
        Edit(Position(a, b), Position(c, d), text) for a, b, c, d, text in data["edits"] if isinstance(text, str)
    )
    rebinds = tuple(name for name in data["rebinds"] if isinstance(name, str))
    return Fix(str(data["title"]), Applicability(data["applicability"]), edits, rebinds)


def _to_json(d: Diagnostic) -> dict:
    return {
        "code": d.code,
        "name": d.name,
        "message": d.message,
        "severity": d.severity.value,
        "start": [d.start.line, d.start.column],
        "end": [d.end.line, d.end.column],
        "fix": _fix_to_json(d.fix) if d.fix else None,
        "alternatives": [_fix_to_json(f) for f in d.alternatives],
        "cell": d.cell,
    }


def _from_json(data: dict, path: str) -> Diagnostic:
    return Diagnostic(
        path,
        str(data["code"]),
        str(data["name"]),
        str(data["message"]),
        Severity(data["severity"]),
        _position(data["start"]),
        _position(data["end"]),
        fix=_fix_from_json(data["fix"]) if data["fix"] else None,
        alternatives=tuple(_fix_from_json(f) for f in data["alternatives"]),
        cell=data["cell"] if isinstance(data["cell"], int) else None,
    )


class Cache:
    def __init__(self, root: Path) -> None:
        self.folder = root / FOLDER

    def _entry(self, fingerprint: str, content: bytes) -> tuple[Path, str]:
        key = hashlib.sha256(content).hexdigest()
        return self.folder / f"v{_FORMAT}" / fingerprint / key[:2] / f"{key}.json", key

    def get(self, fingerprint: str, content: bytes, path: str) -> list[Diagnostic] | None:
        entry, key = self._entry(fingerprint, content)
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
            if data["version"] != __version__ or data["key"] != key or data["fingerprint"] != fingerprint:
                return None
            return [_from_json(d, path) for d in data["diagnostics"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, fingerprint: str, content: bytes, diagnostics: list[Diagnostic]) -> None:
        """Best effort: a cache that cannot be written only makes the next run slower."""
        entry, key = self._entry(fingerprint, content)
        data = {
            "version": __version__,
            "key": key,
            "fingerprint": fingerprint,
            "diagnostics": [_to_json(d) for d in diagnostics],
        }
        try:
            self._ensure_folder()
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream)
            os.replace(temp, entry)
        except OSError:
            return

    def _ensure_folder(self) -> None:
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore.write_text("# Created by torchlint: the cache is never committed.\n*\n", encoding="utf-8")
