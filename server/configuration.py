"""What applies to a document: its nearest `[tool.torchlint]`, under the editor settings.

The resolver caches each folder's settings, so any change (a pyproject.toml, the editor
settings) builds a fresh one and bumps `generation`: results computed under an older
generation are stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from server.settings import EditorSettings
from torchlint.config import DEFAULT_TIMEOUT, ConfigError, ConfigResolver, Settings


@dataclass(frozen=True)
class Plan:
    """What the engine process needs to lint one document, as the CLI would lint that file."""

    codes: tuple[str, ...]
    options: tuple[tuple[str, str], ...] = ()  # the rules' options (`target-torch-version`)
    timeout: float = DEFAULT_TIMEOUT  # `per-file-timeout`


def _plan(settings: Settings, path: Path) -> Plan:
    return Plan(settings.codes_for(path), settings.rule_options(), settings.per_file_timeout)


class Configuration:
    def __init__(self) -> None:
        self.editor = EditorSettings()
        self.generation = 0
        self._resolver = ConfigResolver(self.editor.overrides())

    def reload(self, editor: EditorSettings | None = None) -> None:
        """Forget every cached pyproject.toml (and take new editor settings, if given)."""
        if editor is not None:
            self.editor = editor
        self._resolver = ConfigResolver(self.editor.overrides())
        self.generation += 1

    def _defaults(self) -> Settings:
        """What applies without a pyproject.toml: every rule, under the editor settings."""
        overrides = self.editor.overrides()
        select = tuple(overrides.select) if overrides.select is not None else ("ALL",)
        return Settings(root=Path.cwd(), select=select, ignore=tuple(overrides.ignore))

    def plan_for(self, path: str | None) -> tuple[Plan, ConfigError | None]:
        """The plan for a document (None: not a file), and the configuration error that forced the defaults."""
        if path is None:
            return _plan(self._defaults(), Path("untitled.py")), None
        try:
            settings = self._resolver.for_path(Path(path))
        except ConfigError as error:
            return _plan(self._defaults(), Path(path)), error
        return _plan(settings, Path(path)), None
