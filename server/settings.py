"""Editor settings (`torchlint.*`): from `initializationOptions`, `workspace/configuration` and
`workspace/didChangeConfiguration`; they override `[tool.torchlint]` in pyproject.toml.

A bad value is reported and skipped, never fatal: the other settings still apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from torchlint.config import ConfigError, Overrides, check_selectors

SECTION = "torchlint"
DEFAULT_DEBOUNCE_MS = 300


@dataclass(frozen=True)
class EditorSettings:
    select: tuple[str, ...] | None = None  # replaces the file's `select`
    extend_select: tuple[str, ...] = ()  # added to the file's `extend-select`
    ignore: tuple[str, ...] = ()  # added to the file's `ignore`
    snippet_mode: bool | None = None  # replaces the file's `snippet-mode`
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    inlay_hints: bool = True

    def overrides(self) -> Overrides:
        return Overrides(
            select=list(self.select) if self.select is not None else None,
            extend_select=list(self.extend_select),
            ignore=list(self.ignore),
            snippet_mode=self.snippet_mode,
        )


def section(raw: object) -> Mapping[str, object]:
    """The `torchlint` table of a settings object, or the object itself when it is already that table."""
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get(SECTION)
    return inner if isinstance(inner, Mapping) else raw


def pushed_section(settings: object) -> object:
    """The `torchlint` table of what a client pushes with `didChangeConfiguration`; unlike
    `initializationOptions`, those settings may be every tool's, so only that table counts."""
    return settings.get(SECTION) if isinstance(settings, Mapping) else None


def _codes(value: object, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"torchlint.{key} must be a list of rule codes, got {value!r}")
    return tuple(check_selectors(value, f"torchlint.{key}"))


def _debounce(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"torchlint.{key} must be a number of milliseconds >= 0, got {value!r}")
    return round(value)


def _flag(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"torchlint.{key} must be true or false, got {value!r}")
    return value


_PARSERS = {
    "select": _codes,
    "extendSelect": _codes,
    "ignore": _codes,
    "snippetMode": _flag,
    "debounceMs": _debounce,
    "inlayHints": _flag,
}
_FIELDS = {
    "select": "select",
    "extendSelect": "extend_select",
    "ignore": "ignore",
    "snippetMode": "snippet_mode",
    "debounceMs": "debounce_ms",
    "inlayHints": "inlay_hints",
}


def parse_settings(*layers: object) -> tuple[EditorSettings, list[str]]:
    """Settings from each layer in turn (later ones win), with a message for every value skipped."""
    values: dict[str, object] = {}
    problems: list[str] = []
    for layer in layers:
        for key, value in section(layer).items():
            if value is None:
                continue
            if key not in _PARSERS:
                problems.append(f"unknown setting torchlint.{key} (known: {', '.join(_PARSERS)})")
                continue
            try:
                values[_FIELDS[key]] = _PARSERS[key](value, key)
            except ConfigError as error:
                problems.append(str(error))
    return EditorSettings(**values), problems  # type: ignore[arg-type]
