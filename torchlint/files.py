"""Which files a run lints: explicit paths, folders walked, excludes and .gitignore obeyed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from torchlint.config import DOCUMENTS, NOTEBOOKS, ConfigResolver, glob_match, relative_to
from torchlint.gitignore import GitIgnore

PYTHON_SUFFIXES = (".py", ".pyi")


def _excluded(path: Path, resolver: ConfigResolver, *, whole_path: bool = False) -> bool:
    """Walked entries are checked by name (their folders were checked on the way down);
    an explicitly named file, with --force-exclude, by every folder above it too."""
    settings = resolver.for_path(path)
    relative = relative_to(path, settings.root) or path.name
    name = path.name
    for pattern in settings.excludes:
        if "/" in pattern.rstrip("/"):
            if glob_match(pattern, relative):
                return True
        elif glob_match(pattern, relative if whole_path else name):
            return True
    return False


def discover(paths: list[Path], resolver: ConfigResolver, *, force_exclude: bool = False) -> Iterator[Path]:
    """Files to lint, each once, in a stable order. Missing paths are yielded for the caller to report."""
    gitignore = GitIgnore()
    seen: set[Path] = set()
    for path in paths:
        if not path.is_dir():
            if force_exclude and (
                _excluded(path, resolver, whole_path=True) or _ignored_by_git(path, resolver, gitignore, parents=True)
            ):
                continue
            if path not in seen:
                seen.add(path)
                yield path
            continue
        for file in _walk(path, resolver, gitignore):
            if file not in seen:
                seen.add(file)
                yield file


def _ignored_by_git(
    path: Path, resolver: ConfigResolver, gitignore: GitIgnore, is_dir: bool = False, parents: bool = False
) -> bool:
    if not resolver.for_path(path).respect_gitignore:
        return False
    return gitignore.ignored(Path(os.path.abspath(path)), is_dir, check_parents=parents)


def _document_included(path: Path, resolver: ConfigResolver) -> bool:
    lower = path.name.lower()
    if not lower.endswith(DOCUMENTS):
        return False
    settings = resolver.for_path(path)
    return settings.include_notebooks if lower.endswith(NOTEBOOKS) else settings.include_markdown


def _walk(root: Path, resolver: ConfigResolver, gitignore: GitIgnore) -> Iterator[Path]:
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        kept = []
        for name in sorted(dirnames):
            child = here / name
            if _excluded(child, resolver) or _ignored_by_git(child, resolver, gitignore, is_dir=True):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(PYTHON_SUFFIXES) and not _document_included(here / name, resolver):
                continue
            file = here / name
            if _excluded(file, resolver) or _ignored_by_git(file, resolver, gitignore):
                continue
            yield file
