"""A .gitignore matcher: enough of git's rules for deciding which files a lint run skips."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


def _translate(glob: str) -> str:
    """Git wildmatch → regex: `*` and `?` stay in one path segment, `**` spans segments."""
    out = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = glob.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = glob[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif c == "\\" and i + 1 < len(glob):
            i += 1
            out.append(re.escape(glob[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse(text: str) -> list[_Pattern]:
    patterns = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if raw.endswith("\\ "):
            line = raw
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated or line.startswith("\\"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        prefix = "" if anchored else "(?:.*/)?"
        patterns.append(_Pattern(re.compile(f"^{prefix}{_translate(line)}$"), negated, dir_only))
    return patterns


class GitIgnore:
    """The .gitignore files from the repository root down, each applying below its own folder."""

    def __init__(self) -> None:
        self._by_dir: dict[Path, list[_Pattern]] = {}
        self._roots: dict[Path, Path | None] = {}

    def _patterns(self, folder: Path) -> list[_Pattern]:
        cached = self._by_dir.get(folder)
        if cached is None:
            file = folder / ".gitignore"
            try:
                cached = parse(file.read_text(encoding="utf-8", errors="replace")) if file.is_file() else []
            except OSError:
                cached = []
            self._by_dir[folder] = cached
        return cached

    def repo_root(self, folder: Path) -> Path | None:
        if folder not in self._roots:
            if (folder / ".git").exists():
                self._roots[folder] = folder
            else:
                self._roots[folder] = None if folder.parent == folder else self.repo_root(folder.parent)
        return self._roots[folder]

    def ignored(self, path: Path, is_dir: bool, *, check_parents: bool = False) -> bool:
        """Whether git would ignore `path` (absolute), by the .gitignore files above it in its repo."""
        root = self.repo_root(path.parent)
        if root is None:
            return False
        between = list(reversed([p for p in path.parents if p != root and root in p.parents]))
        if check_parents and any(self.ignored(folder, True) for folder in between):
            return True
        return self._matches(path, is_dir, [root, *between])

    def _matches(self, path: Path, is_dir: bool, folders: list[Path]) -> bool:
        result = False
        for folder in folders:
            relative = path.relative_to(folder).as_posix()
            for pattern in self._patterns(folder):
                if pattern.dir_only and not is_dir:
                    continue
                if pattern.regex.match(relative):
                    result = not pattern.negated
        return result
