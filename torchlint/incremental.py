"""Lint one document again after an edit, reusing what the edit cannot have changed.

The language server lints a document on every keystroke. Two things make that cheap:

- Parsing by top-level statement. The text is cut where a top-level statement starts; each piece is
  parsed (CPython's `ast` for the syntax, LibCST for the analysis) once and kept by its text, so an edit
  parses only the statement it touches. The pieces are put together into the module a whole parse gives:
  a piece that does not parse alone, or pieces that disagree on the indentation, mean a whole parse.
- Reusing function analyses. Function bodies are analysed after the module's body (`Analyzer.pending`).
  A function whose top-level statement is unchanged, mentions no module-level name whose facts changed,
  and whose class (for a method) ended up with the same facts, would be analysed exactly as last time:
  its reports, and what its analysis left for the others (`forward` results, `__init__` attributes,
  nested functions), are replayed instead. Everything a function analysis reads outside its own body
  goes through a name, its class, the file-wide summaries compared below, or the rules' per-file cache;
  where any of those differs from the last run, or a rule cached something this module does not know,
  the whole file is analysed again, so the findings always equal a full lint's.
"""

from __future__ import annotations

import ast
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice, pairwise

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

from torchlint import noqa
from torchlint.context import Report
from torchlint.diagnostics import Diagnostic
from torchlint.engine import (
    active_rules,
    anchored_nodes,
    build_dispatch,
    default_device_of,
    diagnostics_of,
    guarded,
    lint_source,
)
from torchlint.infer.analyzer import Analyzer, ClassInfo
from torchlint.infer.facts import Fact, Kind
from torchlint.infer.scope import BindingIndex
from torchlint.infer.traverse import nodes
from torchlint.positions import body_lines, locate_in
from torchlint.rules.base import Rule
from torchlint.snippets import jupytext

_MAX_JOINED = 32  # pieces tried together before giving up (a long string or bracket with lines at column 0)
_CONTINUATIONS = ("else", "elif", "except", "finally", "case", "@")
# Texts some rules test the whole file for: a file-wide answer that may change with any edit.
_MARKERS = ("set_default_device", "set_default_tensor_type", "set_grad_enabled", "requires_grad_(False)",
            "requires_grad = False", "requires_grad=False", "__future__")  # fmt: skip
# The rules' per-file cache entries that hold nothing file-wide (marks by node, for the same statement),
# or only the module's structure or text: any other entry makes the next run a full one.
_LOCAL_CACHE = frozenset({"source", "parents", "tl106_filled", "tl102_filled", "tl204_accumulations",
                          "tl206_loop_parameters", "frozen_file", "classes_by_name", "torch_alias"})  # fmt: skip


@dataclass(eq=False)
class Chunk:
    """One piece of the text: whole top-level statements with the comments and blank lines above them."""

    text: str
    lines: int
    tree: ast.Module
    statements: tuple[cst.BaseStatement, ...]
    header: Sequence[cst.EmptyLine]  # for the first piece: the module's header
    footer: Sequence[cst.EmptyLine]
    default_indent: str | None  # None: no indented block to tell
    has_trailing_newline: bool
    encoding: str
    names: frozenset[str]  # every name the piece mentions
    classes: tuple[cst.ClassDef, ...]  # the classes it defines, at any depth, in source order
    index: dict[int, int]  # node id -> index of the statement holding it
    bindings: BindingIndex
    starts: list[tuple[int, ast.stmt]]  # per statement: line within the piece, and its `ast` statement
    positions: dict[int, CodeRange] = field(default_factory=dict)  # by node id, lines within the piece


class ChunkCache:
    """Parsed pieces by (text, whether first, how many times the text came before in the same module: a
    node must appear once in a module). What the last two texts did not use is dropped, so the memory
    held stays about twice the document's."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, bool, int], Chunk | None] = {}
        self.owner: dict[int, Chunk] = {}  # node id -> the piece holding it, for every piece kept
        self._used: set[tuple[str, bool, int]] = set()
        self._used_before: set[tuple[str, bool, int]] = set()

    def get(self, text: str, first: bool, repeat: int = 0) -> Chunk | None:
        key = (text, first, repeat)
        self._used.add(key)
        if key in self._items:
            return self._items[key]
        chunk = self._items[key] = _parse_chunk(text, first)
        if chunk is not None:
            self.owner.update(dict.fromkeys(chunk.index, chunk))
        return chunk

    def end_of_text(self) -> None:
        """One text's pieces are all taken: forget those neither it nor the one before used."""
        keep = self._used | self._used_before
        for key in self._items.keys() - keep:
            chunk = self._items.pop(key)
            if chunk is not None:
                for node_id in chunk.index:
                    del self.owner[node_id]
        self._used_before, self._used = self._used, set()


def _parse_chunk(text: str, first: bool) -> Chunk | None:
    try:
        with warnings.catch_warnings():  # the whole file's parse warns once, where it is reported
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text)
        module = cst.parse_module(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, cst.ParserSyntaxError):
        return None
    if not module.body:
        return None
    statements = list(module.body)
    header = module.header
    if not first and header:  # in the whole module these lines lead the piece's first statement
        statements[0] = statements[0].with_changes(leading_lines=[*header, *statements[0].leading_lines])
        header = ()
    starts = body_lines(statements, tree.body)
    if starts is None:
        return None
    names: set[str] = set()
    classes: list[cst.ClassDef] = []
    index: dict[int, int] = {}
    indented = False
    number = 0
    tops = {id(statement): n for n, statement in enumerate(statements)}

    def visit(node: cst.CSTNode) -> None:
        nonlocal indented, number
        number = tops.get(id(node), number)  # a statement comes before its nodes
        index[id(node)] = number
        kind = type(node)
        if kind is cst.Name:
            names.add(node.value)  # type: ignore[attr-defined]
        elif kind is cst.ClassDef:
            classes.append(node)  # type: ignore[arg-type]
        elif kind is cst.IndentedBlock:
            indented = True

    bindings = BindingIndex.of_statements(statements, visit)
    return Chunk(
        text,
        text.count("\n"),
        tree,
        tuple(statements),
        header,
        module.footer,
        module.default_indent if indented else None,
        module.has_trailing_newline,
        module.encoding,
        frozenset(names),
        tuple(classes),
        index,
        bindings,
        starts,
    )


def split(source: str) -> list[str]:
    """The text cut before each line that may start a top-level statement, the comments and blank lines
    above it going with it; a cut in the wrong place gives a piece that does not parse alone."""
    lines = source.splitlines(keepends=True)
    cuts = [0]
    for number, line in enumerate(lines):
        if number == 0 or not line[:1] or line[0] in " \t\r\n\f#)]}" or line.startswith(_CONTINUATIONS):
            continue
        if lines[number - 1].startswith("@"):
            continue
        cut = number
        while cut > cuts[-1] + 1 and (not lines[cut - 1].strip() or lines[cut - 1].startswith("#")):
            cut -= 1
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(len(lines))
    return ["".join(lines[a:b]) for a, b in pairwise(cuts) if b > a]


@dataclass
class Assembled:
    module: cst.Module
    chunks: list[Chunk]
    offsets: list[int]  # the line before each piece's first line
    owner: dict[int, int]  # top-level statement id -> index of its piece


def assemble(source: str, cache: ChunkCache) -> Assembled | None:
    """The module a whole parse of `source` gives, from its pieces; None where they cannot give it."""
    if "\r" in source or "\f" in source or "\\\n" in source:
        return None
    try:
        return _assemble(split(source), cache)
    finally:
        cache.end_of_text()


def _assemble(texts: list[str], cache: ChunkCache) -> Assembled | None:
    chunks: list[Chunk] = []
    pending, joined = "", 0
    seen: Counter[str] = Counter()
    for text in texts:
        chunk = cache.get(pending + text, not chunks, seen[pending + text])
        seen[pending + text] += 1
        if chunk is None:
            pending += text  # a piece that does not parse alone may parse with the next one
            joined += 1
            if joined > _MAX_JOINED:
                return None
            continue
        pending, joined = "", 0
        chunks.append(chunk)
    if pending or not chunks:
        return None
    indents = {c.default_indent for c in chunks if c.default_indent is not None}
    if len(indents) > 1 or any(c.footer for c in chunks[:-1]):
        return None
    if any("__future__" in c.text for c in chunks[1:]):
        return None
    body: list[cst.BaseStatement] = []
    offsets, owner, line = [], {}, 0
    for index, chunk in enumerate(chunks):
        offsets.append(line)
        for statement in chunk.statements:
            owner[id(statement)] = index
        body.extend(chunk.statements)
        line += chunk.lines
    last = chunks[-1]
    module = cst.Module(
        body=body,
        header=chunks[0].header,
        footer=last.footer,
        encoding=chunks[0].encoding,
        default_indent=indents.pop() if indents else "    ",
        default_newline="\n",
        has_trailing_newline=last.has_trailing_newline,
    )
    return Assembled(module, chunks, offsets, owner)


@dataclass(eq=False)
class Record:
    """What one function analysis did: its reports and what it left for the analyses after it."""

    node: cst.FunctionDef
    reports: list[Report]
    forward: dict[tuple, Fact]
    init_attributes: dict[str, Fact] | None
    pure: bool  # defined no class (which would change the analyzer's table of classes)
    children: list[Record] = field(default_factory=list)

    def replayable(self) -> bool:
        return self.pure and all(child.replayable() for child in self.children)


@dataclass(eq=False)
class _Replay:
    record: Record


@dataclass
class _Run:
    """What the next run compares against."""

    statements: frozenset[int]
    keep: list[cst.BaseStatement]  # keeps the ids above meaningful
    records: dict[int, Record]  # by function node id, top-level items only
    env: dict[str, Fact]
    counts: Counter[str]
    classes: dict[int, tuple]  # by ClassDef id: what its methods see of it
    summary: tuple
    cache_keys: frozenset[str]
    shared: tuple  # what every function may read: the names of the classes, the names `torch` is imported as


class _Scheduler:
    """Runs (or replays) the function analyses once the module's body has been analysed."""

    def __init__(self, assembled: Assembled, previous: _Run | None, reports: list[Report]) -> None:
        self.assembled = assembled
        self.previous = previous
        self.reports = reports
        self.records: dict[int, Record] = {}
        self.replayed = 0
        self.analysed = 0
        self.env: dict[str, Fact] = {}
        self.classes: dict[int, tuple] = {}
        self.impure = False  # a function defined a class: the table of classes changed under the others
        self.shared: tuple = ()

    def run(self, analyzer: Analyzer) -> None:
        assert analyzer.module_scope is not None
        self.env = dict(analyzer.module_scope.env.values)
        self.classes = {id(node): _class_view(info) for node, info in analyzer.classes.items()}
        class_names = Counter(c.name.value for chunk in self.assembled.chunks for c in chunk.classes)
        aliases = tuple(k for k, v in self.env.items() if v.kind is Kind.IMPORT and v.qualname == "torch")
        self.shared = (class_names, aliases)
        dirty = self._dirty(analyzer)
        tops = self._top_statements(analyzer)
        parents: dict[int, Record] = {}
        while analyzer.pending:
            item = analyzer.pending.popleft()
            if isinstance(item, _Replay):
                self._replay(analyzer, item.record, None)
                continue
            node, _, info = item
            old = self.previous.records.get(id(node)) if self.previous is not None and dirty is not None else None
            top = tops.get(id(node))
            if old is not None and old.node is node and top is not None and top not in dirty and old.replayable():
                self._replay(analyzer, old, info)
                self.records[id(node)] = old
                continue
            record = self._analyse(analyzer, item)
            parent = parents.pop(id(node), None)
            if parent is not None:
                parent.children.append(record)
            else:
                self.records[id(node)] = record
            for child in record.children:
                parents[id(child.node)] = record
            record.children.clear()

    def _analyse(self, analyzer: Analyzer, item: tuple) -> Record:
        node, _, info = item
        reports, forward, classes = len(self.reports), len(analyzer._forward_results), len(analyzer.classes)
        waiting = len(analyzer.pending)
        analyzer._analyse_function(*item)
        self.analysed += 1
        init = dict(info.init_attributes) if info is not None and node.name.value == "__init__" else None
        record = Record(
            node,
            self.reports[reports:],
            dict(islice(analyzer._forward_results.items(), forward, None)),
            init,
            len(analyzer.classes) == classes,
        )
        self.impure = self.impure or not record.pure
        # Placeholders for the nested functions it queued, replaced by their records as they run.
        record.children = [Record(queued[0], [], {}, None, True) for queued in islice(analyzer.pending, waiting, None)]
        return record

    def _replay(self, analyzer: Analyzer, record: Record, info: ClassInfo | None) -> None:
        self.replayed += 1
        self.reports.extend(record.reports)
        analyzer._forward_results.update(record.forward)
        if record.init_attributes is not None and info is not None:
            info.init_attributes = dict(record.init_attributes)
        analyzer.pending.extend(_Replay(child) for child in record.children)

    def _top_statements(self, analyzer: Analyzer) -> dict[int, int]:
        """Function node id -> id of the top-level statement holding it (functions and methods of top-level
        classes; any other is always analysed)."""
        tops: dict[int, int] = {}
        for statement in analyzer.module.body:
            if isinstance(statement, cst.FunctionDef):
                tops[id(statement)] = id(statement)
            elif isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
                for item in statement.body.body:
                    if isinstance(item, cst.FunctionDef):
                        tops[id(item)] = id(statement)
        return tops

    def _dirty(self, analyzer: Analyzer) -> set[int] | None:
        """Ids of the top-level statements whose functions must be analysed again; None: all of them."""
        previous = self.previous
        if previous is None or previous.shared != self.shared:
            return None
        body = analyzer.module.body
        chunks, owner = self.assembled.chunks, self.assembled.owner
        changed = {id(s) for s in body if id(s) not in previous.statements}
        names = {key.split(".", 1)[0] for key in self.env.keys() ^ previous.env.keys()}
        names.update(k.split(".", 1)[0] for k, v in self.env.items() if previous.env.get(k, v) != v)
        counts = analyzer.bindings.scope(analyzer.module)
        names.update(
            k.split(".", 1)[0] for k in counts.keys() | previous.counts.keys() if counts[k] != previous.counts[k]
        )
        for statement in body:
            if id(statement) in changed:
                names.update(c.name.value for c in chunks[owner[id(statement)]].classes)
        for statement in previous.keep:
            if id(statement) not in self.assembled.owner:
                names.update(c.name.value for c in nodes(statement) if isinstance(c, cst.ClassDef))
        dirty = set(changed)
        for statement in body:
            if id(statement) in dirty:
                continue
            if names & chunks[owner[id(statement)]].names or (
                isinstance(statement, cst.ClassDef)
                and self.classes.get(id(statement)) != previous.classes.get(id(statement))
            ):
                dirty.add(id(statement))
        return dirty


def _class_view(info: ClassInfo) -> tuple:
    """What a method's analysis reads of its class, set by the module's body."""
    scope = info.scope.env.values if info.scope is not None else None
    return (info.is_module, dict(info.attribute_counts), dict(scope) if scope is not None else None)


def _markers(source: str) -> tuple[bool, ...]:
    return tuple(marker in source for marker in _MARKERS)


@dataclass
class DocumentState:
    """One document's last run, for the next one."""

    chunks: ChunkCache = field(default_factory=ChunkCache)
    run: _Run | None = None
    key: tuple | None = None  # the active rules, the options, the markers: a change means a fresh run
    stats: dict[str, int] = field(default_factory=lambda: {"replayed": 0, "analysed": 0})

    def lint(
        self, source: str, path: str, rules: Sequence[Rule], options: Mapping[str, str] | None
    ) -> list[Diagnostic]:
        """The findings `lint_source(source, path, rules, options=options)` gives, computed incrementally."""
        if noqa.file_disabled(source):
            return []
        active = active_rules(source, rules)
        # A jupytext notebook's cells display their last expression: the whole text decides, so lint it whole.
        notebook = path.endswith(".py") and jupytext.displays(source) is not None
        assembled = assemble(source, self.chunks) if active and not notebook else None
        if assembled is None:
            self.run = None
            return lint_source(source, path, rules, options=options)
        return guarded(path, lambda: self._analyse(assembled, source, path, active, options))

    def _analyse(
        self, assembled: Assembled, source: str, path: str, rules: list[Rule], options: Mapping[str, str] | None
    ) -> list[Diagnostic]:
        key = (tuple(rules), tuple(sorted((options or {}).items())), _markers(source))  # rules: by identity
        previous = self.run if key == self.key else None
        module = assembled.module
        bindings = BindingIndex(module, [c.bindings for c in assembled.chunks])
        if previous is not None and bindings.summary() != previous.summary:
            previous = None
        outcome = self._once(assembled, source, rules, options, bindings, previous)
        if outcome is None:  # a rule cached something file-wide, or a function defined a class: analyse it all
            outcome = self._once(assembled, source, rules, options, bindings, None)
            assert outcome is not None
        reports, run, scheduler = outcome
        self.run, self.key = run, key
        self.stats["replayed"] += scheduler.replayed
        self.stats["analysed"] += scheduler.analysed
        if not reports:
            return []
        return diagnostics_of(reports, self._positions(assembled, anchored_nodes(reports)), source, path)

    def _once(
        self,
        assembled: Assembled,
        source: str,
        rules: list[Rule],
        options: Mapping[str, str] | None,
        bindings: BindingIndex,
        previous: _Run | None,
    ) -> tuple[list[Report], _Run, _Scheduler] | None:
        module = assembled.module
        reports: list[Report] = []
        scheduler = _Scheduler(assembled, previous, reports)
        analyzer = Analyzer(
            module, {}, default_device=default_device_of(source), bindings=bindings, scheduler=scheduler
        )
        cache: dict = {"source": source, "classes_by_name": bindings.classes_by_name()}
        analyzer.dispatch.update(build_dispatch(rules, analyzer, reports, options, None, cache))
        analyzer.run()
        if previous is not None and scheduler.impure:
            return None
        keys = frozenset(cache)
        if not keys <= _LOCAL_CACHE:
            if previous is not None:
                return None
        elif previous is not None and not previous.cache_keys <= _LOCAL_CACHE:
            return None
        run = _Run(
            frozenset(map(id, module.body)),
            list(module.body),
            scheduler.records,
            scheduler.env,
            Counter(bindings.scope(module)),
            scheduler.classes,
            bindings.summary(),
            keys,
            scheduler.shared,
        )
        return reports, run, scheduler

    def _positions(self, assembled: Assembled, wanted: object) -> dict[cst.CSTNode, CodeRange]:
        """Positions of the wanted nodes, each piece's kept (relative to its first line) across runs."""
        pending: dict[int, cst.CSTNode] = {id(n): n for n in wanted}  # type: ignore[attr-defined]
        result: dict[cst.CSTNode, CodeRange] = {}
        module = assembled.module
        offsets = {id(chunk): offset for chunk, offset in zip(assembled.chunks, assembled.offsets, strict=True)}
        held: dict[tuple[int, int], list[int]] = {}
        for node_id in pending:
            chunk = self.chunks.owner.get(node_id)
            if chunk is not None and id(chunk) in offsets:
                held.setdefault((id(chunk), chunk.index[node_id]), []).append(node_id)
        by_id = {id(chunk): chunk for chunk in assembled.chunks}
        for (chunk_id, statement), ids in held.items():
            chunk, offset = by_id[chunk_id], offsets[chunk_id]
            missing = {i for i in ids if i not in chunk.positions}
            if missing:
                found: dict[cst.CSTNode, CodeRange] = {}
                line, tree = chunk.starts[statement]
                locate_in(chunk.statements[statement], tree, line, [], missing, module, found)
                chunk.positions.update((id(n), r) for n, r in found.items())
            for node_id in ids:
                where = chunk.positions[node_id]
                result[pending.pop(node_id)] = CodeRange(
                    CodePosition(where.start.line + offset, where.start.column),
                    CodePosition(where.end.line + offset, where.end.column),
                )
        if pending:
            raise LookupError("a reported node outside the module's statements")
        return result
