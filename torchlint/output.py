"""Rendering findings for people (text, coloured on a terminal) and for programs (JSON)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from torchlint.diagnostics import Applicability, Diagnostic, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def summary(
    diagnostics: list[Diagnostic], fixed: int | None = None, checked: int | None = None, unread: int = 0
) -> str:
    """The last line of a report. "All checks passed!" only when something was checked and every file
    could be read: `checked` is how many files were analysed (None: not counted, e.g. standard input),
    `unread` how many could not be."""
    if checked == 0 and not diagnostics:
        return "0 files checked."
    if unread and not diagnostics and not fixed:
        return f"No problems found in {plural(checked or 0, 'file')}; {plural(unread, 'file')} could not be checked."
    if fixed is not None:
        if not diagnostics:
            return f"Found {plural(fixed, 'problem')} ({fixed} fixed, 0 remaining)." if fixed else "All checks passed!"
        return f"Found {plural(len(diagnostics) + fixed, 'problem')} ({fixed} fixed, {len(diagnostics)} remaining)."
    if not diagnostics:
        return "All checks passed!"
    files = len({d.path for d in diagnostics})
    return f"Found {plural(len(diagnostics), 'problem')} in {plural(files, 'file')}."


def fixable(d: Diagnostic, unsafe: bool = False) -> bool:
    """Whether `--fix` (with `--unsafe-fixes` when `unsafe`) would fix this finding: ruff's `[*]`."""
    return d.fix is not None and (unsafe or d.fix.applicability is Applicability.SAFE)


def fixable_line(diagnostics: list[Diagnostic], unsafe: bool = False) -> str | None:
    """Ruff's closing line, `[*] 3 fixable with the `--fix` option.`, when any finding is fixable."""
    count = sum(fixable(d, unsafe) for d in diagnostics)
    option = "--fix --unsafe-fixes" if unsafe else "--fix"
    return f"[*] {count} fixable with the `{option}` option." if count else None


def write_text(
    diagnostics: list[Diagnostic],
    stream: TextIO,
    *,
    verbose: bool = False,
    fixed: int | None = None,
    checked: int | None = None,
    unread: int = 0,
    unsafe: bool = False,
) -> None:
    """One line per finding, `[*]` after the code where `--fix` would fix it (not after a fix run:
    what remains then is what could not be fixed), then the summary."""
    console = None
    if stream.isatty():
        from rich.console import Console  # imported only when colour is wanted

        console = Console(file=stream, highlight=False)
    mark = fixed is None
    for d in diagnostics:
        where = f"{d.location}:"
        star = mark and fixable(d, unsafe)
        if console is not None:
            from rich.text import Text

            line = Text.assemble((where, "bold"), " ", (d.code, _STYLE[d.severity]), " ")
            if star:
                line.append_text(Text.assemble(("[*]", "cyan"), " "))
            line.append(d.message)
            console.print(line, soft_wrap=True)
        else:
            stream.write(f"{where} {d.code} {'[*] ' if star else ''}{d.message}\n")
        if verbose and d.detail:
            stream.write(d.detail.rstrip() + "\n")
    stream.write(summary(diagnostics, fixed, checked, unread) + "\n")
    closing = fixable_line(diagnostics, unsafe) if mark else None
    if closing is not None:
        stream.write(closing + "\n")


def write_json(diagnostics: list[Diagnostic], stream: TextIO = sys.stdout) -> None:
    json.dump([d.to_json() for d in diagnostics], stream, indent=2)
    stream.write("\n")


PROGRESS_THRESHOLD = 50


@contextmanager
def progress_bar(total: int, stream: TextIO | None = None) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr for long runs on a terminal; a no-op otherwise."""
    stream = stream or sys.stderr
    if total <= PROGRESS_THRESHOLD or not stream.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(file=stream), transient=True) as progress:
        task = progress.add_task("Linting", total=total)
        yield lambda: progress.advance(task)


def write_statistics(
    diagnostics: list[Diagnostic], stream: TextIO, checked: int | None = None, unread: int = 0
) -> None:
    """Counts per rule, most frequent first (`*` marks rules with a fix)."""
    counts = Counter((d.code, d.name) for d in diagnostics)
    fixable = {d.code for d in diagnostics if d.fix is not None}
    width = len(str(max(counts.values(), default=0)))
    for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        stream.write(f"{count:>{width}}  {code}  {'[*] ' if code in fixable else '    '}{name}\n")
    stream.write(summary(diagnostics, None, checked, unread) + "\n")


def _source_lines(path: str) -> list[str]:
    from torchlint.source import EncodingDeclarationError, SourceError, read_source, split_lines

    try:
        return split_lines(read_source(Path(path)))
    except EncodingDeclarationError:  # the finding is the declaration itself: show its bytes as they are
        try:
            return split_lines(Path(path).read_bytes().decode("utf-8", "replace"))
        except OSError:
            return []
    except SourceError:
        return []


def write_with_source(
    diagnostics: list[Diagnostic],
    stream: TextIO,
    fixed: int | None = None,
    checked: int | None = None,
    unread: int = 0,
    *,
    sources: dict[str, list[str]] | None = None,
) -> None:
    """Each finding, then its source line with a caret under the range (coloured on a terminal);
    `sources` gives the lines of texts that are not files (standard input), by path."""
    console = None
    if stream.isatty():
        from rich.console import Console

        console = Console(file=stream, highlight=False)
    lines: dict[str, list[str]] = dict(sources or {})
    for d in diagnostics:
        source = lines.setdefault(d.path, _source_lines(d.path))
        header = f"{d.location}: {d.code} {d.message}"
        text = source[d.start.line - 1] if d.start.line <= len(source) else ""
        end = d.end.column if d.end.line == d.start.line else len(text) + 1
        caret = " " * (d.start.column - 1) + "^" * max(1, end - d.start.column)
        gutter = f"{d.start.line:>5} | "
        if console is not None:
            console.print(header, style=_STYLE[d.severity], markup=False, soft_wrap=True)
            console.print(gutter + text, markup=False, soft_wrap=True)
            # soft_wrap: the terminal wraps long lines; rich would break the caret line itself and carry
            # its colour onto a line of its own
            console.print(" " * len(gutter) + caret, style=_STYLE[d.severity], markup=False, soft_wrap=True)
        else:
            stream.write(f"{header}\n{gutter}{text}\n{' ' * len(gutter)}{caret}\n")
        stream.write("\n")
    stream.write(summary(diagnostics, fixed, checked, unread) + "\n")
