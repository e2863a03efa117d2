"""Lint many files: read, pick each file's rules, run the engine (in parallel when it pays)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from torchlint.cache import Cache, fingerprint
from torchlint.config import ConfigResolver
from torchlint.diagnostics import INTERNAL_ERROR_CODE, Applicability, Diagnostic
from torchlint.source import SourceError, read_file
from torchlint.writer import WriteError, write_if_unchanged

_PARALLEL_THRESHOLD = 8


@dataclass
class FileOutcome:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None  # the file could not be read, or its fix not written
    fixed: int = 0
    diff: str = ""


@dataclass(frozen=True)
class FixMode:
    """What to do with fixes: apply them (`write`) or show them (`diff`); `unsafe` includes unsafe ones."""

    write: bool
    unsafe: bool = False


@dataclass
class RunResult:
    files: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fixed: int = 0
    diffs: list[str] = field(default_factory=list)

    @property
    def hidden_unsafe(self) -> int:
        return sum(1 for d in self.diagnostics if d.fix is not None and d.fix.applicability is Applicability.UNSAFE)

    @property
    def internal_errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.code == INTERNAL_ERROR_CODE)


def lint_file(
    path: str, codes: Sequence[str], mode: FixMode | None = None, cache_root: str | None = None
) -> FileOutcome:
    """One file, in whatever process runs it. The engine (and LibCST) is imported only on a cache miss."""
    try:
        source = read_file(Path(path))
    except SourceError as error:
        return FileOutcome(path, error=str(error))
    cache = Cache(Path(cache_root)) if cache_root is not None and mode is None else None
    key = fingerprint(codes)
    if cache is not None:
        cached = cache.get(key, source.data, path)
        if cached is not None:
            return FileOutcome(path, cached)
    from torchlint.engine import lint_source
    from torchlint.rules import RULES_BY_CODE

    rules = [RULES_BY_CODE[code] for code in codes]
    if mode is None:
        diagnostics = lint_source(source.text, path, rules)
        if cache is not None and not any(d.code == INTERNAL_ERROR_CODE for d in diagnostics):
            cache.put(key, source.data, diagnostics)
        return FileOutcome(path, diagnostics)
    from torchlint.fixer import fix_source

    outcome = fix_source(source.text, path, rules, unsafe=mode.unsafe)
    result = FileOutcome(path, outcome.diagnostics, fixed=outcome.fixed)
    if outcome.source == source.text:
        return result
    if not mode.write:
        lines = difflib.unified_diff(
            source.text.splitlines(keepends=True), outcome.source.splitlines(keepends=True), path, path
        )
        result.diff = "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
        )
        return result
    try:
        write_if_unchanged(Path(path), source.data, source.encode(outcome.source))
    except WriteError as error:
        return FileOutcome(path, lint_source(source.text, path, rules), error=str(error))
    return result


def _lint_task(task: tuple[str, tuple[str, ...], FixMode | None, str | None]) -> FileOutcome:
    return lint_file(*task)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def lint_paths(
    files: list[Path],
    resolver: ConfigResolver,
    jobs: int,
    mode: FixMode | None = None,
    cache: Path | None = None,
    advance: Callable[[], None] = lambda: None,
) -> RunResult:
    """`cache` is the folder holding `.torchlint_cache` (None: no cache); `advance` is called per file."""
    root = str(cache) if cache is not None else None
    tasks = [(str(path), resolver.for_path(path).codes_for(path), mode, root) for path in files]
    if jobs > 1 and len(tasks) >= _PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outcomes = pool.map(_lint_task, tasks, chunksize=max(1, len(tasks) // (jobs * 8)))
            result = _collect(outcomes, advance)
    else:
        result = _collect((_lint_task(task) for task in tasks), advance)
    return result


def _collect(outcomes: Iterable[FileOutcome], advance: Callable[[], None]) -> RunResult:
    result = RunResult()
    for outcome in outcomes:
        advance()
        result.files += 1
        if outcome.error is not None:
            result.errors.append(outcome.error)
        result.diagnostics.extend(outcome.diagnostics)
        result.fixed += outcome.fixed
        if outcome.diff:
            result.diffs.append(outcome.diff)
    result.diagnostics.sort(key=lambda d: d.sort_key)
    return result
