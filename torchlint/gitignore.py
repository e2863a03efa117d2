"""Which paths git ignores, for deciding which files a lint run skips.

The patterns are compiled by `pathspec`'s GitIgnoreSpec (git's wildmatch, as black and other tools use
it); this module finds the files they come from and applies them as git does: each .gitignore below
its own folder, a deeper file's decision over a shallower one's, the repository's `.git/info/exclude`
under them all, and a folder decided for itself (`gen/**` ignores what is inside `gen`, not `gen`, so
a later `!keep.py` can still bring back `gen/keep.py`), which pathspec's `match_file` does not do for
folders. tests/test_gitignore.py compares the result with git itself.
"""

from __future__ import annotations

import re
from pathlib import Path

from pathspec import GitIgnoreSpec

# An ignore file's patterns, in file order: pathspec's regex, the same anchored at the end, and whether
# the pattern ignores (or, negated, re-includes).
Patterns = tuple[tuple[re.Pattern[str], re.Pattern[str], bool], ...]


def _compile(lines: list[str]) -> Patterns:
    """Each line as pathspec's GitIgnoreSpec compiles it; a line git cannot use either (`!`) is skipped."""
    compiled = []
    for line in lines:
        try:
            (pattern,) = GitIgnoreSpec.from_lines([line]).patterns or (None,)
        except ValueError:
            continue
        if pattern is not None and pattern.regex is not None and pattern.include is not None:
            compiled.append((pattern.regex, re.compile(f"(?:{pattern.regex.pattern})\\Z"), pattern.include))
    return tuple(compiled)


def _read(file: Path) -> Patterns | None:
    try:
        if not file.is_file():
            return None
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return _compile(text.splitlines())


def _matches(regex: re.Pattern[str], at_end: re.Pattern[str], relative: str, is_dir: bool) -> bool:
    """Whether a pattern matches this path itself, as git decides for a file or a folder.

    pathspec's regexes are searched for, and match a prefix of what they ignore: the `ps_d` group is the
    slash after a folder the pattern names (`build/`, `build`), and a pattern ending in `/**` matches up to
    the slash after its folder, for what is inside it. A match through a folder above the path is not the
    path's own: git never looks inside an ignored folder (the pruned walk, or `check_parents`, stands for
    that), and a later negation of the path must not be undone by it."""
    match = regex.search(relative)
    if match is not None and ("ps_d" not in regex.groupindex or match.start("ps_d") == -1):
        return True  # the whole path, or something inside a `dir/**`, or `*`/`**`
    if not is_dir:
        return False
    match = at_end.search(relative + "/")  # the folder itself, named as a folder
    return match is not None and "ps_d" in regex.groupindex and match.start("ps_d") != -1


class GitIgnore:
    """The ignore files of each repository a run meets, read once each."""

    def __init__(self) -> None:
        self._by_dir: dict[Path, Patterns | None] = {}
        self._excludes: dict[Path, Patterns | None] = {}
        self._roots: dict[Path, Path | None] = {}

    def _spec(self, folder: Path) -> Patterns | None:
        if folder not in self._by_dir:
            self._by_dir[folder] = _read(folder / ".gitignore")
        return self._by_dir[folder]

    def _exclude(self, root: Path) -> Patterns | None:
        """`.git/info/exclude`: the repository's own ignore patterns, which no commit shares."""
        if root not in self._excludes:
            self._excludes[root] = _read(root / ".git" / "info" / "exclude")
        return self._excludes[root]

    def repo_root(self, folder: Path) -> Path | None:
        if folder not in self._roots:
            if (folder / ".git").exists():
                self._roots[folder] = folder
            else:
                self._roots[folder] = None if folder.parent == folder else self.repo_root(folder.parent)
        return self._roots[folder]

    def ignored(self, path: Path, is_dir: bool, *, check_parents: bool = False) -> bool:
        """Whether git would ignore `path` (absolute), by the ignore files above it in its repository.
        With `check_parents`, also when a folder above it is ignored (git then never looks inside)."""
        root = self.repo_root(path.parent)
        if root is None or path == root:
            return False
        between = list(reversed([p for p in path.parents if p != root and root in p.parents]))
        if check_parents and any(self.ignored(folder, True) for folder in between):
            return True
        decided = False
        sources = [(root, self._exclude(root))] + [(folder, self._spec(folder)) for folder in [root, *between]]
        for folder, patterns in sources:
            if patterns is None:
                continue
            relative = path.relative_to(folder).as_posix()
            for regex, at_end, include in patterns:  # the last pattern that matches decides, deeper files last
                if _matches(regex, at_end, relative, is_dir):
                    decided = include
        return decided
