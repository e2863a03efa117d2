"""Reading a file as Python source: PEP 263 cookies, BOMs, and a clear message when it fails."""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(source: str) -> list[str]:
    """Lines as the parser counts them (\r\n, \r and \n end a line; form feeds do not)."""
    return LINE_BREAK.split(source)


class SourceError(Exception):
    """The file could not be read or decoded; the message says why."""


@dataclass(frozen=True)
class SourceFile:
    """A file's text, with what is needed to write it back as it was encoded."""

    text: str
    data: bytes
    encoding: str

    def encode(self, text: str) -> bytes:
        bom = codecs.BOM_UTF8 if self.encoding == "utf-8-sig" else b""
        return bom + text.encode(self.encoding.removesuffix("-sig"))


def decode_file(data: bytes, path: str) -> SourceFile:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise SourceError(f"{path}: {error.msg}") from error
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"{path}: cannot decode as {encoding}: {error}") from error
    return SourceFile(text.removeprefix("\ufeff"), data, encoding)


def decode(data: bytes, path: str) -> str:
    return decode_file(data, path).text


def read_file(path: Path) -> SourceFile:
    try:
        data = path.read_bytes()
    except IsADirectoryError as error:
        raise SourceError(f"{path}: is a directory") from error
    except FileNotFoundError as error:
        raise SourceError(f"{path}: no such file") from error
    except OSError as error:
        raise SourceError(f"{path}: cannot be read: {error.strerror or error}") from error
    return decode_file(data, str(path))


def read_source(path: Path) -> str:
    return read_file(path).text
