"""Jupytext percent scripts: `.py` notebooks whose `# %%` cells, like a notebook's, display their last expression.

A file is one when its front comment block (the header jupytext writes) has a `jupytext:` entry; a sphinx-gallery
tutorial or a script that merely uses `# %%` as an editor's cell marker is a plain script.
"""

from __future__ import annotations

import ast
import bisect
import re

_CELL = re.compile(r"^# %%")
_JUPYTEXT = re.compile(r"^#\s*jupytext:")


def declares_notebook(source: str) -> bool:
    """Does the comment block at the top of the file carry jupytext's header?"""
    for line in source.split("\n"):
        if not line.startswith("#"):
            return False
        if _JUPYTEXT.match(line):
            return True
    return False


def displays(source: str) -> frozenset[int] | None:
    """Lines where a cell's last statement is a bare expression (shown as output); None for a plain script."""
    if "jupytext" not in source or not declares_notebook(source):
        return None
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    starts = [n for n, line in enumerate(source.split("\n"), 1) if _CELL.match(line)]
    last: dict[int, ast.stmt] = {}
    for statement in body:
        last[bisect.bisect_right(starts, statement.lineno)] = statement
    return frozenset(s.lineno for s in last.values() if isinstance(s, ast.Expr))
