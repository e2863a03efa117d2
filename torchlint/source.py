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


class EncodingDeclarationError(SourceError):
    """A PEP 263 declaration that CPython rejects (`# coding: uft-8`): a syntax error in the file at `line`,
    not a file that cannot be read."""

    def __init__(self, message: str, line: int, text: str) -> None:
        super().__init__(message)
        self.line = line
        self.text = text  # the declaration's line


# PEP 263: the declaration is a comment on line 1 or 2 matching this (tokenize's own pattern).
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


def _declaration(data: bytes) -> tuple[int, str] | None:
    """The line number and text of the encoding declaration, if the file has one."""
    for number, line in enumerate(data.removeprefix(codecs.BOM_UTF8).splitlines()[:2], start=1):
        if _COOKIE.match(line):
            return number, line.decode("latin-1")
    return None


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
        raise _bad_declaration(data, path, error.msg) or SourceError(f"{path}: {error.msg}") from error
    try:
        text = data.decode(encoding)
    except LookupError as error:  # a codec that is not a text encoding (`# coding: rot13`)
        raise _bad_declaration(data, path, f"encoding problem: {encoding}") or SourceError(
            f"{path}: cannot decode as {encoding}: {error}"
        ) from error
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: cannot decode as {encoding}: {error}") from error
    return SourceFile(text.removeprefix("\ufeff"), data, encoding)


def _bad_declaration(data: bytes, path: str, message: str) -> EncodingDeclarationError | None:
    found = _declaration(data)
    return EncodingDeclarationError(f"{path}: {message}", *found) if found is not None else None


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
