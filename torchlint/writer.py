"""Writing fixed files: atomically, keeping permissions, never over a file that changed meanwhile."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


class WriteError(Exception):
    """The fixed file was not written; the original is intact. The message says why."""


def write_if_unchanged(path: Path, original: bytes, new: bytes) -> None:
    """Replace `path` with `new` if it still holds `original` (temp file + rename, permissions kept)."""
    try:
        current = path.read_bytes()
    except OSError as error:
        raise WriteError(f"{path}: cannot be re-read before writing: {error.strerror or error}") from error
    if current != original:
        raise WriteError(f"{path}: changed on disk while torchlint ran; not overwritten (run again)")
    if not path.stat().st_mode & 0o222:
        raise WriteError(f"{path}: is read-only; fix not written")
    folder = path.parent
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".torchlint", dir=folder)
    except OSError as error:
        raise WriteError(f"{path}: cannot write next to it: {error.strerror or error}") from error
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(new)
            stream.flush()
            os.fsync(stream.fileno())
        shutil.copymode(path, temp)
        if path.read_bytes() != original:
            raise WriteError(f"{path}: changed on disk while torchlint ran; not overwritten (run again)")
        os.replace(temp, path)
    except OSError as error:
        raise WriteError(f"{path}: fix not written: {error.strerror or error}") from error
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
