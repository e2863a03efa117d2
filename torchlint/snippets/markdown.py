"""Markdown tutorials: Python fences, top to bottom, as one program in the document's own lines.

The document is parsed by markdown-it-py (CommonMark), so a fence is what a Markdown renderer shows as one: fences
in HTML comments or blocks are not code, and fences in lists and block quotes are. Fences run as IPython cells
(`%matplotlib inline`, `!pip install`, `%%tab pytorch`), except console sessions (`pycon`, or a first line
starting with `>>>`), whose prompts are dropped and output lines ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt

from torchlint.snippets import cells
from torchlint.snippets.program import Origin, Program, displayed_lines, parse_problem, syntax_problem

PYTHON_TAGS = frozenset({"python", "py", "python3", "ipython", "ipython3", "pycon"})
# MyST directives whose argument names the language: {code-cell} ipython3, {code-block} python
_DIRECTIVES = frozenset({"code-cell", "code-block", "code", "sourcecode"})
_PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)")
_PARSER = MarkdownIt("commonmark")


def language(info: str) -> str:
    """The fence's language: `python`, `{.python .input n=1}`, `{python}` (Quarto), `{code-cell} ipython3` (MyST)."""
    info = info.strip()
    braced = re.match(r"^\{([^}]*)\}\s*(.*)$", info)
    if braced is None:
        return info.split(maxsplit=1)[0].lower() if info else ""
    inside, after = braced[1].split(), braced[2].split()
    if inside and inside[0] in _DIRECTIVES:
        return after[0].lower() if after else ""
    return inside[0].lstrip(".").split("=", 1)[0].lower() if inside else ""


@dataclass(frozen=True)
class Fence:
    lines: list[tuple[int, str, int]]  # (document line index, text, column where the text starts)
    console: bool


def fences(text: str) -> list[Fence]:
    """The Python fences of a Markdown document, in order, with each content line's place in the document."""
    document = text.split("\n")
    found = []
    for token in _PARSER.parse(text):
        if token.type != "fence" or token.map is None:
            continue
        tag = language(token.info)
        if tag not in PYTHON_TAGS:
            continue
        content = token.content.split("\n")
        if content and content[-1] == "":
            content.pop()
        lines = []
        for n, line in enumerate(content):
            index = token.map[0] + 1 + n
            original = document[index].removesuffix("\r") if index < len(document) else line
            shift = len(original) - len(line) if original.endswith(line) else len(original) - len(original.lstrip())
            lines.append((index, line, shift))
        first = content[0] if content else ""
        found.append(Fence(lines, tag == "pycon" or first.startswith(">>>")))
    return found


def program_of(
    text: str, path: str, tabs: Sequence[str] = cells.DEFAULT_TABS, default_tab: str | None = None
) -> Program:
    """Every line of the document stays a line of the program: code in the fences analysed, blank elsewhere."""
    count = text.count("\n") + 1
    code_lines = [""] * count
    offsets = [0] * count
    displays: set[int] = set()
    problems = []
    blocks = fences(text)
    read = [_snippet(fence) for fence in blocks]
    chosen = cells.selected([snippet for _, snippet in read], tabs, default_tab)
    analysed = 0
    for fence, (lines, _), wanted in zip(blocks, read, chosen, strict=True):
        if not wanted or not lines:
            continue
        analysed += 1
        first = fence.lines[0][0]
        code = "\n".join(_pad(lines, first))
        problem = parse_problem(code)
        if problem is not None:
            line, column, message = problem
            index = first + line - 1
            shift = next((s for n, _, s in lines if n == index), lines[0][2])
            problems.append(syntax_problem(path, index + 1, column + shift, message))
            continue
        for n, line, shift in lines:
            code_lines[n] = line
            offsets[n] = shift
        displays.update(first + line for line in displayed_lines(code, last_only=False))
    origins = [Origin(None, n + 1, offsets[n]) for n in range(count)]
    return Program("\n".join(code_lines), origins, frozenset(displays), problems, analysed)


def _snippet(fence: Fence) -> tuple[list[tuple[int, str, int]], cells.Snippet]:
    """The fence's Python lines (document line index, code, column) and the fence read as an IPython cell."""
    if fence.console:
        return _console(fence), cells.read("")
    source = "\n".join(text for _, text, _ in fence.lines)
    snippet = cells.read(source)
    lines = [
        (n, line.text, shift + line.shift)
        for (n, _, shift), line in zip(fence.lines, snippet.cell.lines, strict=False)
        if not line.dropped
    ]
    return lines, snippet


def _console(fence: Fence) -> list[tuple[int, str, int]]:
    block = []
    for n, line, shift in fence.lines:
        prompted = _PROMPT.match(line)
        if not prompted:
            continue  # output of the previous prompt
        cut = len(prompted.group(0))
        block.append((n, line[cut:], shift + cut))
    return block


def _pad(block: list[tuple[int, str, int]], first: int) -> list[str]:
    """The block's code with blank lines where output lines were, so lines keep their numbers."""
    padded: list[str] = []
    for n, line, _ in block:
        while first + len(padded) < n:
            padded.append("")
        padded.append(line)
    return padded
