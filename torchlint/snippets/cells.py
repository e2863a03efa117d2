"""A notebook cell or a Markdown fence as IPython runs it, and whether it belongs to the framework tabs analysed.

Books built with d2lbook (d2l.ai) hold each example once per framework: a cell starting `%%tab pytorch` or
carrying a `#@tab mxnet, tensorflow` comment runs only when that tab is selected (`%%tab all` always). Only the
tabs in `snippet-tabs` are analysed. In a document that uses tabs, an unmarked cell belongs to the book's default
tab, the first of `[build] tabs` in the book's `config.ini` (`d2lbook.default_tab`); where no such file says
which tab that is, unmarked cells of a tabbed document are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from torchlint.config import DEFAULT_SNIPPET_TABS as DEFAULT_TABS
from torchlint.snippets import ipython

__all__ = ["DEFAULT_TABS", "Snippet", "read", "selected"]
_TAB_COMMENT = re.compile(r"# *@tab +([\w\, ]+)")  # d2lbook's `source_tab_pattern`


@dataclass(frozen=True)
class Snippet:
    cell: ipython.Cell
    tabs: tuple[str, ...] | None  # the d2lbook tabs the cell is marked for; None: unmarked


def read(source: str) -> Snippet:
    cell = ipython.transform(source)
    if cell.magic == "tab":
        return Snippet(cell, tuple(t.strip() for t in cell.magic_line.strip().split(",")))
    match = _TAB_COMMENT.search(source)
    return Snippet(cell, tuple(t.strip() for t in match[1].split(",")) if match else None)


def selected(snippets: Sequence[Snippet], wanted: Sequence[str], default_tab: str | None = None) -> list[bool]:
    """For each snippet, whether it is analysed: Python, and of a wanted tab when the document uses tabs (an
    unmarked cell is of `default_tab`)."""
    tabbed = any(s.tabs is not None for s in snippets)
    default = (default_tab,) if default_tab else None
    return [s.cell.python and (not tabbed or _in_tabs(s.tabs or default, wanted)) for s in snippets]


def _in_tabs(tabs: tuple[str, ...] | None, wanted: Sequence[str]) -> bool:
    if tabs is None:
        return False
    return "all" in tabs or "all" in wanted or any(tab in wanted for tab in tabs)
