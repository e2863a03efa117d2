"""Lint many files: read, pick each file's rules, run the engine (in parallel when it pays)."""

from __future__ import annotations

import difflib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from torchlint.cache import Cache, fingerprint
from torchlint.config import DEFAULT_SNIPPET_TABS, DEFAULT_TIMEOUT, DOCUMENTS, ConfigResolver, Settings
from torchlint.diagnostics import INTERNAL_ERROR_CODE, SYNTAX_ERROR_CODE, Applicability, Diagnostic, Position, Severity
from torchlint.snippets import d2lbook
from torchlint.source import EncodingDeclarationError, SourceError, SourceFile, decode_file, read_file
from torchlint.writer import WriteError, write_if_unchanged

if TYPE_CHECKING:
    from torchlint.incremental import DocumentState
    from torchlint.rules.base import Rule

_PARALLEL_THRESHOLD = 8
# Long expression chains (generated code) recurse deeply in the analysis; Python frames are cheap.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))


@dataclass
class FileOutcome:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None  # the file could not be read, or its fix not written
    fixed: int = 0
    diff: str = ""
    checked: bool = True  # False when the file could not be read (or is not a valid notebook)


@dataclass(frozen=True)
class FixMode:
    """What to do with fixes: apply them (`write`) or show them (`diff`); `unsafe` includes unsafe ones."""

    write: bool
    unsafe: bool = False


@dataclass
class RunResult:
    files: int = 0
    checked: int = 0  # files read and analysed (or found in the cache)
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


@dataclass(frozen=True)
class FileTask:
    """Everything a worker process needs to lint one file (picklable)."""

    path: str
    codes: tuple[str, ...]
    options: tuple[tuple[str, str], ...] = ()
    aliases: tuple[tuple[str, str], ...] | None = None  # snippet names, for snippet-mode files
    mode: FixMode | None = None
    cache_root: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    tabs: tuple[str, ...] = DEFAULT_SNIPPET_TABS  # d2lbook tabs analysed in notebooks and Markdown
    default_tab: str | None = None  # the tab of a d2lbook book's unmarked cells (its config.ini)


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raise AnalysisTimeout in this thread after `seconds` (only where a timer signal can: the main thread)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    from torchlint.engine import AnalysisTimeout

    def expire(signum: int, frame: object) -> None:
        raise AnalysisTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def lint_file(task: FileTask, started: Callable[[], None] | None = None) -> FileOutcome:
    """One file, in whatever process runs it. The engine (and LibCST) is imported only on a cache miss;
    `started` is called when the analysis (the part under the time bound) begins."""
    path = task.path
    try:
        source = read_file(Path(path))
    except EncodingDeclarationError as error:
        return FileOutcome(path, [declaration_finding(path, error)])
    except SourceError as error:
        return FileOutcome(path, error=str(error), checked=False)
    cache = Cache(Path(task.cache_root)) if task.cache_root is not None and task.mode is None else None
    extra = (
        ("snippet-aliases", repr(task.aliases)),
        ("snippet-tabs", repr(task.tabs)),
        ("default-tab", repr(task.default_tab)),
    )
    key = fingerprint(task.codes, (*task.options, *extra))
    if cache is not None:
        cached = cache.get(key, source.data, path)
        if cached is not None:
            return FileOutcome(path, cached)
    from torchlint.engine import AnalysisTimeout, analysis_limit
    from torchlint.snippets.notebook import NotebookError

    if started is not None:
        started()
    try:
        with time_bound(task.timeout):
            outcome = _document(task, source) if is_document_name(path) else _python(task, source)
    except NotebookError as error:
        return FileOutcome(path, error=str(error), checked=False)
    except AnalysisTimeout:
        return FileOutcome(path, [analysis_limit(path, f"it took longer than {task.timeout:g} s (per-file-timeout)")])
    if cache is not None and not any(d.code == INTERNAL_ERROR_CODE for d in outcome.diagnostics):
        cache.put(key, source.data, outcome.diagnostics)
    return outcome


def declaration_finding(path: str, error: EncodingDeclarationError) -> Diagnostic:
    """A bad encoding declaration is what CPython makes of it, a syntax error (TL001), so the run goes on."""
    message = f"Syntax error: {str(error).removeprefix(f'{path}: ')} (in the encoding declaration)"
    start, end = Position(error.line, 1), Position(error.line, len(error.text) + 1)
    return Diagnostic(path, SYNTAX_ERROR_CODE, "syntax-error", message, Severity.ERROR, start, end)


def _rules(task: FileTask) -> list[Rule]:
    from torchlint.rules import RULES_BY_CODE

    return [RULES_BY_CODE[code] for code in task.codes]


def _python(task: FileTask, source: SourceFile, state: DocumentState | None = None) -> FileOutcome:
    from torchlint.engine import lint_source
    from torchlint.snippets.aliases import seed

    rules, options = _rules(task), dict(task.options)
    if task.mode is None and task.aliases is None and state is not None:
        return FileOutcome(task.path, state.lint(source.text, task.path, rules, options))
    facts = seed(dict(task.aliases)) if task.aliases is not None else None
    if task.mode is None:
        return FileOutcome(task.path, lint_source(source.text, task.path, rules, seed=facts, options=options))
    from torchlint.fixer import fix_source

    outcome = fix_source(source.text, task.path, rules, unsafe=task.mode.unsafe, seed=facts, options=options)
    return _finish(task, source, outcome.source, outcome.fixed, outcome.diagnostics)


def _document(task: FileTask, source: SourceFile) -> FileOutcome:
    from torchlint.snippets.aliases import DEFAULT_ALIASES
    from torchlint.snippets.documents import fix_document, lint_document

    rules, options = _rules(task), dict(task.options)
    aliases = dict(task.aliases) if task.aliases is not None else DEFAULT_ALIASES
    if task.mode is None:
        return FileOutcome(
            task.path, lint_document(source.text, task.path, rules, aliases, options, task.tabs, task.default_tab)
        )
    fixed = fix_document(
        source.text,
        task.path,
        rules,
        aliases,
        unsafe=task.mode.unsafe,
        options=options,
        tabs=task.tabs,
        default_tab=task.default_tab,
    )
    return _finish(task, source, fixed.text, fixed.fixed, fixed.diagnostics)


def _finish(task: FileTask, source: SourceFile, new: str, fixed: int, remaining: list[Diagnostic]) -> FileOutcome:
    """Write (or diff) a fixed text; on a failed write the file is unchanged, and so are its findings."""
    assert task.mode is not None
    result = FileOutcome(task.path, remaining, fixed=fixed)
    if new == source.text:
        return result
    if not task.mode.write:
        result.diff = unified_diff(source.text, new, task.path)
        return result
    try:
        write_if_unchanged(Path(task.path), source.data, source.encode(new))
    except WriteError as error:
        unchanged = lint_file(replace(task, mode=None, cache_root=None))
        return FileOutcome(task.path, unchanged.diagnostics, error=str(error))
    return result


def unified_diff(old: str, new: str, path: str) -> str:
    """What `--diff` prints for one file (empty when nothing changes)."""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), path, path)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


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
    """`cache` is the folder holding `.torchlint_cache` (None: no cache); `advance` is called per file.
    Files are linted in worker processes (one for a few files), so that a file past its `per-file-timeout`
    can be ended even inside the native parser (see torchlint/workers.py)."""
    from torchlint import workers

    root = str(cache) if cache is not None else None
    tasks = [_task(path, resolver, mode, root) for path in files]
    return _collect(workers.run(tasks, jobs if len(tasks) >= _PARALLEL_THRESHOLD else 1), advance)


def _task(path: Path, resolver: ConfigResolver, mode: FixMode | None, cache_root: str | None) -> FileTask:
    return task_for(path, resolver.for_path(path), mode, cache_root)


def task_for(path: Path, settings: Settings, mode: FixMode | None = None, cache_root: str | None = None) -> FileTask:
    aliases = settings.snippet_aliases if settings.snippet_mode or is_document_name(str(path)) else None
    return FileTask(
        str(path),
        settings.codes_for(path),
        settings.rule_options(),
        tuple(sorted(aliases.items())) if aliases is not None else None,
        mode,
        cache_root,
        settings.per_file_timeout,
        settings.snippet_tabs,
        d2lbook.default_tab(str(path)) if is_document_name(str(path)) else None,
    )


def _collect(outcomes: Iterable[FileOutcome], advance: Callable[[], None]) -> RunResult:
    result = RunResult()
    for outcome in outcomes:
        advance()
        result.files += 1
        result.checked += outcome.checked
        if outcome.error is not None:
            result.errors.append(outcome.error)
        result.diagnostics.extend(outcome.diagnostics)
        result.fixed += outcome.fixed
        if outcome.diff:
            result.diffs.append(outcome.diff)
    result.diagnostics.sort(key=lambda d: d.sort_key)
    result.errors.sort()  # outcomes arrive as workers finish them
    return result


def check_stdin(
    data: bytes, name: str, resolver: ConfigResolver, fix: FixMode | None = None
) -> tuple[FileOutcome, str | None]:
    """Source from standard input, linted (and fixed) as if it were the file `name`; the fixed text, if fixing
    (and its diff in the outcome)."""
    from torchlint.snippets.notebook import NotebookError

    try:
        source = decode_file(data, name)
    except EncodingDeclarationError as error:
        return FileOutcome(name, [declaration_finding(name, error)]), None
    except SourceError as error:
        return FileOutcome(name, error=str(error)), None
    task = _task(Path(name), resolver, None, None)
    try:
        if fix is None:
            return (_document(task, source) if is_document_name(name) else _python(task, source)), None
        outcome, text = _fixed_text(task, source, name, fix.unsafe)
        outcome.diff = unified_diff(source.text, text, name)
        return outcome, text
    except NotebookError as error:
        return FileOutcome(name, error=str(error)), None


def _fixed_text(task: FileTask, source: SourceFile, name: str, unsafe: bool) -> tuple[FileOutcome, str]:
    """The text with its fixes applied, and what remains; the text is not written anywhere."""
    from torchlint.fixer import fix_source
    from torchlint.snippets.aliases import seed
    from torchlint.snippets.documents import fix_document

    rules, options = _rules(task), dict(task.options)
    aliases = dict(task.aliases) if task.aliases is not None else None
    if is_document_name(name):
        fixed = fix_document(
            source.text,
            name,
            rules,
            aliases or {},
            unsafe=unsafe,
            options=options,
            tabs=task.tabs,
            default_tab=task.default_tab,
        )
        return FileOutcome(name, fixed.diagnostics, fixed=fixed.fixed), fixed.text
    facts = seed(aliases) if aliases is not None else None
    outcome = fix_source(source.text, name, rules, unsafe=unsafe, seed=facts, options=options)
    return FileOutcome(name, outcome.diagnostics, fixed=outcome.fixed), outcome.source


def lint_text(text: str, path: str, settings: Settings, state: DocumentState | None = None) -> FileOutcome:
    """Lint an editor's text of `path` (Python, notebook JSON or Markdown) with `settings`, in this process,
    under the file's time bound: the language server's entry to the same engine the CLI uses. With `state`
    (the document's last run), a Python file is linted incrementally, to the same findings."""
    from torchlint.engine import AnalysisTimeout, analysis_limit
    from torchlint.snippets.notebook import NotebookError

    task = task_for(Path(path), settings)
    source = SourceFile(text, text.encode("utf-8"), "utf-8")
    try:
        with time_bound(task.timeout):
            return _document(task, source) if is_document_name(path) else _python(task, source, state)
    except NotebookError as error:
        return FileOutcome(path, error=str(error))
    except AnalysisTimeout:
        return FileOutcome(path, [analysis_limit(path, f"it took longer than {task.timeout:g} s (per-file-timeout)")])


def fix_text(text: str, path: str, settings: Settings, unsafe: bool = False) -> tuple[FileOutcome, str]:
    """`lint_text`'s counterpart for fixes: the editor's text of `path` with its (safe, unless `unsafe`) fixes
    applied, under the file's time bound; the text unchanged when it cannot be read or time runs out."""
    from torchlint.engine import AnalysisTimeout, analysis_limit
    from torchlint.snippets.notebook import NotebookError

    task = task_for(Path(path), settings)
    source = SourceFile(text, text.encode("utf-8"), "utf-8")
    try:
        with time_bound(task.timeout):
            return _fixed_text(task, source, path, unsafe)
    except NotebookError as error:
        return FileOutcome(path, error=str(error)), text
    except AnalysisTimeout:
        late = analysis_limit(path, f"it took longer than {task.timeout:g} s (per-file-timeout)")
        return FileOutcome(path, [late]), text


def is_document_name(name: str) -> bool:
    return name.lower().endswith(DOCUMENTS)
