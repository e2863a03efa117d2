"""`# noqa` comments: which codes each line suppresses."""

from __future__ import annotations

import io
import re
import tokenize

# A noqa comment; `codes` holds the listed codes, None for a bare one. Public: the server edits these.
NOQA = re.compile(r"#\s*noqa(?:\s*:\s*(?P<codes>[A-Za-z]+\d+(?:[\s,]+[A-Za-z]+\d+)*))?", re.IGNORECASE)
_DISABLE_FILE = re.compile(r"#\s*torchlint\s*:\s*disable-file\b")

ALL = "*"


def file_disabled(source: str) -> bool:
    return "disable-file" in source and _DISABLE_FILE.search(source) is not None


def _comments(source: str) -> list[tuple[int, str]]:
    try:
        return [
            (tok.start[0], tok.string)
            for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        return [(number, line[line.index("#") :]) for number, line in enumerate(source.splitlines(), 1) if "#" in line]


def suppressions(source: str) -> dict[int, set[str]]:
    """Line → suppressed codes ({ALL} for a bare `# noqa`)."""
    if "noqa" not in source.lower():
        return {}
    result: dict[int, set[str]] = {}
    for line, comment in _comments(source):
        for match in NOQA.finditer(comment):
            codes = match.group("codes")
            if codes is None:
                result.setdefault(line, set()).add(ALL)
            else:
                result.setdefault(line, set()).update(c.upper() for c in re.split(r"[\s,]+", codes) if c)
    return result


def is_suppressed(table: dict[int, set[str]], line: int, code: str) -> bool:
    codes = table.get(line)
    return codes is not None and (ALL in codes or code in codes)
