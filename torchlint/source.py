"""Reading a file as Python source: PEP 263 cookies, BOMs, and a clear message when it fails."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path


class SourceError(Exception):
    """The file could not be read or decoded; the message says why."""


def decode(data: bytes, path: str) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise SourceError(f"{path}: {error.msg}") from error
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"{path}: cannot decode as {encoding}: {error}") from error
    return text.removeprefix("\ufeff")


def read_source(path: Path) -> str:
    try:
        data = path.read_bytes()
    except IsADirectoryError as error:
        raise SourceError(f"{path}: is a directory") from error
    except FileNotFoundError as error:
        raise SourceError(f"{path}: no such file") from error
    except OSError as error:
        raise SourceError(f"{path}: cannot be read: {error.strerror or error}") from error
    return decode(data, str(path))
