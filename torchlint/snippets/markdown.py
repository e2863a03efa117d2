"""Markdown tutorials: Python fences, top to bottom, as one program in the document's own lines."""

from __future__ import annotations

import re

from torchlint.snippets.program import Origin, Program, displayed_lines, parse_problem, syntax_problem

PYTHON_TAGS = frozenset({"python", "py", "python3", "pycon", "ipython"})
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)")


def _language(info: str) -> str:
    word = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    return word.strip("{}.").lower()


def program_of(text: str, path: str) -> Program:
    """Every line of the document stays a line of the program: code in Python fences, blank elsewhere."""
    lines = text.split("\n")
    code_lines = [""] * len(lines)
    offsets = [0] * len(lines)
    displays: set[int] = set()
    problems = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, indent, language = match["fence"], len(match["indent"]), _language(match["info"])
        start = i + 1
        end = start
        while end < len(lines) and not lines[end].lstrip().startswith(fence[0] * len(fence)):
            end += 1
        if language in PYTHON_TAGS:
            _add_block(lines, start, end, indent, language == "pycon", path, code_lines, offsets, displays, problems)
        i = end + 1
    origins = [Origin(None, n + 1, offsets[n]) for n in range(len(lines))]
    return Program("\n".join(code_lines), origins, frozenset(displays), problems)


def _add_block(lines, start, end, indent, console, path, code_lines, offsets, displays, problems) -> None:
    block: list[tuple[int, str, int]] = []  # (document line index, code, column offset)
    for n in range(start, end):
        line = lines[n][indent:] if lines[n][:indent].strip() == "" else lines[n].lstrip()
        shift = len(lines[n]) - len(line)
        prompted = _PROMPT.match(line)
        if console or (prompted and not block and line.startswith(">>>")):
            console = True
            if not prompted:
                continue  # output of the previous prompt
            cut = len(prompted.group(0))
            block.append((n, line[cut:], shift + cut))
        else:
            block.append((n, line, shift))
    if not block:
        return
    first = block[0][0]
    code = "\n".join(_pad(block, first))
    problem = parse_problem(code)
    if problem is not None:
        line, column, message = problem
        index = first + line - 1
        shift = next((s for n, _, s in block if n == index), block[0][2])
        problems.append(syntax_problem(path, index + 1, column + shift, message))
        return
    for n, line, shift in block:
        code_lines[n] = line
        offsets[n] = shift
    displays.update(first + line for line in displayed_lines(code, last_only=False))


def _pad(block: list[tuple[int, str, int]], first: int) -> list[str]:
    """The block's code with blank lines where output lines were, so lines keep their numbers."""
    padded: list[str] = []
    for n, line, _ in block:
        while first + len(padded) < n:
            padded.append("")
        padded.append(line)
    return padded
