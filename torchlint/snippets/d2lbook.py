"""d2lbook books: the tab that a book's unmarked code cells belong to, from the book's `config.ini`.

d2lbook reads `[build] tabs = pytorch, mxnet, ...` from `config.ini` at the book's root; the first tab is the
default one, the tab of every code cell that names none (d2lbook's `Config.default_tab`).
"""

from __future__ import annotations

import configparser
import os


def default_tab(path: str) -> str | None:
    """The default tab of the d2lbook book `path` is in: the first of `[build] tabs` in its `config.ini`. Not
    cached: a long-running language server sees the file change; it is a few `stat` calls per document."""
    return _default_tab(os.path.dirname(os.path.abspath(path)))


def _default_tab(folder: str) -> str | None:
    candidate = os.path.join(folder, "config.ini")
    if os.path.isfile(candidate):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(candidate, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            return None
        tabs = parser.get("build", "tabs", fallback="")
        first = tabs.lower().split(",")[0].strip()
        if first:
            return first
    parent = os.path.dirname(folder)
    if parent == folder or os.path.isdir(os.path.join(folder, ".git")):
        return None
    return _default_tab(parent)
