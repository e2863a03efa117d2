"""Rendering findings for people (text, coloured on a terminal) and for programs (JSON)."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from torchlint.diagnostics import Diagnostic, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def summary(diagnostics: list[Diagnostic], fixed: int | None = None) -> str:
    if fixed is not None:
        if not diagnostics:
            return f"Found {plural(fixed, 'problem')} ({fixed} fixed, 0 remaining)." if fixed else "All checks passed!"
        return f"Found {plural(len(diagnostics) + fixed, 'problem')} ({fixed} fixed, {len(diagnostics)} remaining)."
    if not diagnostics:
        return "All checks passed!"
    files = len({d.path for d in diagnostics})
    return f"Found {plural(len(diagnostics), 'problem')} in {plural(files, 'file')}."


def write_text(
    diagnostics: list[Diagnostic], stream: TextIO, *, verbose: bool = False, fixed: int | None = None
) -> None:
    console = None
    if stream.isatty():
        from rich.console import Console  # imported only when colour is wanted

        console = Console(file=stream, highlight=False)
    for d in diagnostics:
        where = f"{d.path}:{d.start.line}:{d.start.column}:"
        if console is not None:
            from rich.text import Text

            line = Text.assemble((where, "bold"), " ", (d.code, _STYLE[d.severity]), " ", d.message)
            console.print(line, soft_wrap=True)
        else:
            stream.write(f"{where} {d.code} {d.message}\n")
        if verbose and d.detail:
            stream.write(d.detail.rstrip() + "\n")
    stream.write(summary(diagnostics, fixed) + "\n")


def write_json(diagnostics: list[Diagnostic], stream: TextIO = sys.stdout) -> None:
    json.dump([d.to_json() for d in diagnostics], stream, indent=2)
    stream.write("\n")
