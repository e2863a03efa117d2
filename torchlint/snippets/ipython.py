"""IPython's input syntax, line for line: what IPython 9's `TransformerManager` makes of a cell, kept in the cell's
own lines and columns.

IPython turns a cell into Python in three steps (`IPython.core.inputtransformer2`): cleanup (leading blank lines,
common indentation, `>>>` and `In [1]:` prompts), cell magics (`%%name` on the first line makes the whole cell one
call), then token transforms, one at a time, each found by tokenizing the cell again: `x = %magic`, `x = !cmd`,
escaped lines (`%magic`, `!cmd`, `!!cmd`, `?obj`, `,f a b`, `;f a b`, `/f a b`) and help (`obj?`, `obj??`). A
transform may swallow backslash-continued lines. This module does the same steps, but records for each line of
the cell where its Python came from, so that findings keep the cell's positions. The differential test
(tests/test_ipython_syntax.py) holds it to IPython's own output; IPython is never imported here.
"""

from __future__ import annotations

import ast
import re
import sys
import textwrap
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

# Cell magics that run their body as Python, in the user's namespace, after transforming it again
# (`%%tab` is d2lbook's framework selector).
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "tab"})

_LOOP_LIMIT = 500
_ESCAPE_SINGLES = {"!", "?", "%", ",", ";", "/"}
_ESCAPE_DOUBLES = {"!!", "??"}
_CATCH = (
    "unterminated string literal", "invalid non-printable character", "after line continuation character",
    "invalid decimal literal", "invalid binary literal", "invalid octal literal", "invalid hexadecimal literal",
    "in binary literal", "in octal literal", "expected EOF",
)  # fmt: skip
_HELP_END = re.compile(r"(%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_PS1 = re.compile(r"^\s*>>>")
_PS1_STRIP = re.compile(r"^\s*>>>[ \t]?")
_PS2_STRIP = re.compile(r"^\s*\.\.\.[ \t]?")
_TRIPLE = re.compile(r"(?<!\\)(\"\"\"|''')")
_STRING_PREFIX = re.compile(r"(?i)^[rubf]*$")
_IPYTHON_PROMPT = re.compile(r"^(((\[nav\]|\[ins\])?\ )?In\ \[\d+\]:\ |\s*\.{3,}:\ ?)")
_BLANK = re.compile(r"^[ \t]+$")
_MAYBE_PROMPT = re.compile(r"^\s*(>>>|\.\.\.|(\[nav\] |\[ins\] )?In \[)", re.MULTILINE)


@dataclass(frozen=True)
class Line:
    """One line of the cell as IPython runs it: `text` is Python; `shift` columns were cut from the line's start
    (indentation common to the cell, a prompt); `special` marks IPython syntax replaced by the call IPython makes;
    `dropped` marks a line that is not there at all (a leading blank line, a continuation a transform took in)."""

    text: str
    shift: int = 0
    special: bool = False
    dropped: bool = False


@dataclass(frozen=True)
class Cell:
    lines: tuple[Line, ...]  # one per line of the source (split at "\n")
    magic: str | None = None  # the cell magic's name, `%%time` → "time"
    magic_line: str = ""  # what follows the cell magic's name, `%%tab pytorch` → "pytorch"
    python: bool = True  # False: a cell magic whose body is not Python (%%bash, %%writefile, ...)

    @property
    def code(self) -> str:
        """The cell's Python with one line per source line (dropped and non-Python lines blank)."""
        return "\n".join(line.text for line in self.lines)

    @property
    def ipython_text(self) -> str:
        """The text IPython's `TransformerManager.transform_cell` gives for a cell of plain Python syntax."""
        return "".join(line.text + "\n" for line in self.lines if not line.dropped)


@dataclass
class _Entry:
    text: str  # with its line ending
    origin: int  # index of the source line
    shift: int
    special: bool = False


def transform(source: str) -> Cell:
    """The cell as IPython would run it, one `Line` per line of `source`."""
    count = source.count("\n") + 1
    text = source if source.endswith("\n") else source + "\n"
    lines = text.split("\n")[:-1]
    if _plain(source):
        # What `leading_indent`'s dedent still does to valid Python: whitespace-only lines become empty.
        kept = [Line("", len(t)) if _BLANK.match(t) else Line(t) for t in lines]
        return Cell(tuple(kept + [Line("", dropped=True)] * (count - len(kept))))
    return _transform([_Entry(line + "\n", n, 0) for n, line in enumerate(lines)], count)


def _plain(source: str) -> bool:
    """Valid Python that no IPython transform touches: no prompts, no leading blank line or indentation."""
    if _MAYBE_PROMPT.search(source) or not source[:1].strip() or source.startswith("%%"):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like: not ours to report here
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _transform(entries: list[_Entry], count: int) -> Cell:
    entries = _cleanup(entries)
    if entries and entries[0].text.startswith("%%") and not re.match(r"%%\w+\?", entries[0].text):
        name, _, argument = entries[0].text[2:].rstrip().partition(" ")
        if name not in PYTHON_CELL_MAGICS:
            return Cell(tuple(Line("", dropped=True) for _ in range(count)), name, argument, python=False)
        head = entries[0]
        body = _transform(entries[1:], count)
        lines = list(body.lines)
        lines[head.origin] = Line("", head.shift, special=True)
        return Cell(tuple(lines), name, argument, python=True)
    entries = _token_transforms(entries)
    lines = [Line("", dropped=True)] * count
    for entry in entries:
        lines[entry.origin] = Line(entry.text[:-1] if entry.text.endswith("\n") else entry.text, entry.shift,
                                   entry.special)  # fmt: skip
    return Cell(tuple(lines))


def _cleanup(entries: list[_Entry]) -> list[_Entry]:
    for n, entry in enumerate(entries):
        if entry.text and not entry.text.isspace():
            entries = entries[n:]
            break
    entries = _reshape(entries, textwrap.dedent("".join(e.text for e in entries)).splitlines(keepends=True))
    entries = _doctest_prompts(entries)
    texts = [e.text for e in entries]
    if texts and (_IPYTHON_PROMPT.match(texts[0]) or (len(texts) > 1 and _IPYTHON_PROMPT.match(texts[1]))):
        entries = _reshape(entries, [_IPYTHON_PROMPT.sub("", t, count=1) for t in texts])
    return entries


def _reshape(entries: list[_Entry], texts: list[str]) -> list[_Entry]:
    """New texts for the same lines, each a suffix of the old one (whitespace-only lines may become "\\n")."""
    if len(texts) != len(entries):
        return entries
    return [
        _Entry(new, e.origin, e.shift + (len(e.text) - len(new) if e.text.endswith(new) else 0), e.special)
        for e, new in zip(entries, texts, strict=True)
    ]


def _doctest_prompts(entries: list[_Entry]) -> list[_Entry]:
    """IPython's `classic_prompt`: `>>>`/`...` prompts, outside triple-quoted strings, stripped and dedented."""
    lines = [e.text for e in entries]
    if not lines:
        return entries
    mask = _triple_quote_mask(lines)
    if not any(not inside and _PS1.match(line) for line, inside in zip(lines, mask, strict=True)):
        return entries
    out: list[str] = []
    stripped: list[bool] = []
    for line, inside in zip(lines, mask, strict=True):
        new = line
        if not inside:
            if _PS1_STRIP.match(line):
                new = _PS1_STRIP.sub("", line, count=1)
            elif _PS2_STRIP.match(line):
                new = _PS2_STRIP.sub("", line, count=1)
        out.append(new)
        stripped.append(new != line)
    result: list[str] = []
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and mask[j] == mask[i]:
            j += 1
        segment = out[i:j]
        if not mask[i] and any(stripped[i:j]):
            result.extend(textwrap.dedent("".join(segment)).splitlines(keepends=True))
        else:
            result.extend(segment)
        i = j
    return _reshape(entries, result)


def _triple_quote_mask(lines: list[str]) -> list[bool]:
    mask: list[bool] = []
    quote: str | None = None
    preserve = seen_prompt = False
    for line in lines:
        mask.append(quote is not None and preserve)
        for match in _TRIPLE.finditer(line):
            found = match.group(1)
            if quote is None:
                quote = found
                before = line[: match.start()]
                rest = _PS2_STRIP.sub("", _PS1_STRIP.sub("", before, count=1), count=1)
                prompted = rest != before and seen_prompt
                preserve = bool(not prompted and _STRING_PREFIX.match(rest.strip()))
                mask[-1] = preserve
            elif quote == found:
                quote, preserve = None, False
        seen_prompt = seen_prompt or bool(_PS1.match(line))
    return mask


def _token_transforms(entries: list[_Entry]) -> list[_Entry]:
    for _ in range(_LOOP_LIMIT):
        changed, entries = _one_transform(entries)
        if not changed:
            return entries
    return entries


def _tokens(lines: list[str]) -> Iterator[tokenize.TokenInfo]:
    tokens: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(iter(lines).__next__):
            tokens.append(token)
            yield token
    except tokenize.TokenError as error:
        if not any(message in error.args[0] for message in _CATCH):
            raise
        start = (tokens[-1].start[0], tokens[-1].end[0]) if tokens else (1, 0)
        yield tokenize.TokenInfo(tokenize.ERRORTOKEN, "", start, start, tokens[-1].line if tokens else "")


def _tokens_by_line(lines: list[str]) -> list[list[tokenize.TokenInfo]]:
    grouped: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    try:
        for token in _tokens(lines):
            grouped[-1].append(token)
            if token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth <= 0):
                grouped.append([])
            elif token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}" and depth > 0:
                depth -= 1
    except tokenize.TokenError:
        pass
    if not grouped[-1]:
        grouped.pop()
    return grouped


def _assign_index(line: list[tokenize.TokenInfo]) -> int | None:
    depth = 0
    for n, token in enumerate(line):
        if token.string == "=" and depth == 0:
            return n
        if token.string in {"(", "[", "{"}:
            depth += 1
        elif token.string in {")", "]", "}"} and depth > 0:
            depth -= 1
    return None


# A found transform: (line, column, priority, kind, help mark position).
_Found = tuple[int, int, int, str, tuple[int, int] | None]


def _find(grouped: list[list[tokenize.TokenInfo]]) -> list[_Found]:
    found: list[_Found] = []
    for kind in ("magic-assign", "system-assign", "escaped", "help"):
        hit = _find_one(kind, grouped)
        if hit is not None:
            found.append(hit)
    return sorted(found, key=lambda f: (f[0], f[1], f[2]))


def _find_one(kind: str, grouped: list[list[tokenize.TokenInfo]]) -> _Found | None:
    for line in grouped:
        if kind == "magic-assign":
            i = _assign_index(line)
            if i is not None and len(line) >= i + 2 and line[i + 1].string == "%" and line[i + 2].type == tokenize.NAME:
                return (line[i + 1].start[0] - 1, line[i + 1].start[1], 10, kind, None)
        elif kind == "system-assign":
            i = _assign_index(line)
            if i is None or line[i].line.strip().startswith("=") or len(line) < i + 2:
                continue
            if sys.version_info >= (3, 12):
                if line[i + 1].type == tokenize.OP and line[i + 1].string == "!":
                    return (line[i + 1].start[0] - 1, line[i + 1].start[1], 10, kind, None)
            else:
                j = i + 1
                while j < len(line) and line[j].type == tokenize.ERRORTOKEN:
                    if line[j].string == "!":
                        return (line[j].start[0] - 1, line[j].start[1], 10, kind, None)
                    if not line[j].string.isspace():
                        break
                    j += 1
        elif kind == "escaped":
            if not line:
                continue
            i = 0
            while i < len(line) and line[i].type in {tokenize.INDENT, tokenize.DEDENT}:
                i += 1
            if i < len(line) and line[i].string in _ESCAPE_SINGLES:
                return (line[i].start[0] - 1, line[i].start[1], 10, kind, None)
        elif len(line) > 2 and line[-2].string == "?":
            i = 0
            while line[i].type in {tokenize.INDENT, tokenize.DEDENT}:
                i += 1
            mark = line[-2].start
            return (line[i].start[0] - 1, line[i].start[1], 5, kind, (mark[0] - 1, mark[1]))
    return None


def _one_transform(entries: list[_Entry]) -> tuple[bool, list[_Entry]]:
    lines = [e.text for e in entries]
    try:
        grouped = _tokens_by_line(lines)
    except SyntaxError:  # inconsistent dedent: IPython stops with this error too; the cell stays as it is
        return False, entries
    for start, column, _, kind, mark in _find(grouped):
        try:
            end, new = _apply(kind, lines, start, column, mark)
        except SyntaxError:
            continue
        head = entries[start]
        return True, [*entries[:start], _Entry(new, head.origin, head.shift, True), *entries[end + 1 :]]
    return False, entries


def _continued_end(lines: list[str], start: int) -> int:
    end = start
    while lines[end].endswith("\\\n"):
        end += 1
        if end >= len(lines):
            break
    return end


def _assemble(lines: list[str], start: int, column: int, end: int) -> str:
    parts = [lines[start][column:], *lines[start + 1 : end + 1]]
    return " ".join([p.rstrip()[:-1] for p in parts[:-1]] + [parts[-1].rstrip()])


def _apply(kind: str, lines: list[str], start: int, column: int, mark: tuple[int, int] | None) -> tuple[int, str]:
    """(last line taken in, the replacement line) for one transform at (start, column)."""
    prefix = lines[start][:column]
    if kind == "help":
        assert mark is not None
        piece = "".join(lines[start : mark[0] + 1])
        match = _HELP_END.search(piece[column:])
        if not match:
            raise SyntaxError(piece)
        return mark[0], prefix + _help_call(match.group(1), match.group(3)) + "\n"
    end = _continued_end(lines, start)
    rest = _assemble(lines, start, column, end)
    if kind == "magic-assign":
        name, _, args = rest[1:].partition(" ")
        return end, f"{prefix}get_ipython().run_line_magic({name!r}, {args!r})\n"
    if kind == "system-assign":
        return end, f"{prefix}get_ipython().getoutput({rest[1:]!r})\n"
    escape, content = (rest[:2], rest[2:]) if len(rest) > 1 and rest[:2] in _ESCAPE_DOUBLES else (rest[:1], rest[1:])
    return end, prefix + _escaped(escape, content) + "\n"


def _escaped(escape: str, content: str) -> str:
    name, _, args = content.partition(" ")
    if escape == "!":
        return f"get_ipython().system({content!r})"
    if escape == "!!":
        return f"get_ipython().getoutput({content!r})"
    if escape in ("?", "??"):
        return _help_call(content, escape) if content else "get_ipython().show_usage()"
    if escape == "%":
        return f"get_ipython().run_line_magic({name!r}, {args!r})"
    if escape == ",":
        return '{}("{}")'.format(name, '", "'.join(args.split()))
    if escape == ";":
        return f'{name}("{args}")'
    if not name:
        raise SyntaxError('"!" must be followed by a callable name')
    return "{}({})".format(name, ", ".join(args.split()))


def _help_call(target: str, escape: str) -> str:
    method = "pinfo2" if escape == "??" else "psearch" if "*" in target else "pinfo"
    name, _, argument = f"{method} {target}".partition(" ")
    return f"get_ipython().run_line_magic({name.lstrip('%')!r}, {argument!r})"
