"""What applies to a document: its nearest `[tool.torchlint]`, under the editor settings.

The resolver caches each folder's settings, so any change (a pyproject.toml, the editor
settings) builds a fresh one and bumps `generation`: results computed under an older
generation are stale.
"""

from __future__ import annotations

from pathlib import Path

from torchlint.config import ConfigError, ConfigResolver, Settings

from .settings import EditorSettings


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
        return Settings(
            root=Path.cwd(),
            select=select,
            extend_select=tuple(overrides.extend_select),
            ignore=tuple(overrides.ignore),
            snippet_mode=bool(overrides.snippet_mode),
        )

    def settings_for(self, path: str | None) -> tuple[Settings, ConfigError | None]:
        """The settings the CLI would lint a document's file with (None: not a file, the defaults), and
        the configuration error that forced the defaults."""
        if path is None:
            return self._defaults(), None
        try:
            return self._resolver.for_path(Path(path)), None
        except ConfigError as error:
            return self._defaults(), error
