"""Narrowing the file list for large repositories: files changed since a git ref, and CI shards."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


class SelectionError(Exception):
    """A `--diff-base` or `--shard` that cannot be honoured; the message says why."""


def changed_since(ref: str, cwd: Path) -> set[Path]:
    """Files that differ from `ref` in the working tree (committed, staged or not), plus untracked ones."""
    commands = (
        ["git", "diff", "--name-only", "--diff-filter=ACMRT", ref, "--"],
        ["git", "ls-files", "--others", "--exclude-standard"],
    )
    top = _git(["git", "rev-parse", "--show-toplevel"], cwd).strip()
    changed: set[Path] = set()
    for command in commands:
        for line in _git(command, cwd).splitlines():
            if line:
                changed.add((Path(top) / line).resolve())
    return changed


def _git(command: list[str], cwd: Path) -> str:
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as error:
        raise SelectionError(f"--diff-base needs git: {error}") from error
    if result.returncode != 0:
        raise SelectionError(f"--diff-base: `{' '.join(command)}` failed: {result.stderr.strip()}")
    return result.stdout


def parse_shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError as error:
        raise SelectionError(f"--shard takes I/N (for example 2/4), got {text!r}") from error
    if count < 1 or not 1 <= index <= count:
        raise SelectionError(f"--shard {text}: I must be between 1 and N")
    return index, count


def in_shard(path: Path, root: Path, index: int, count: int) -> bool:
    """Stable across machines and runs: decided by the path relative to the run's folder."""
    try:
        key = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        key = path.resolve().as_posix()
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % count == index - 1
