"""Position encoding: UTF-8 whenever the client offers it, else pygls' choice (the client's first
supported encoding, UTF-16 when it names none). Malformed messages: see `server.malformed`."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from lsprotocol import types
from pygls.protocol.language_server import lsp_method

from .malformed import ReadsMalformedMessages
from .positions import UTF8


def prefer_utf8(capabilities: types.ClientCapabilities) -> None:
    """Move UTF-8 to the front of the client's encodings, where pygls looks first."""
    general = capabilities.general
    if general is not None and general.position_encodings and UTF8 in general.position_encodings:
        general.position_encodings = [UTF8, *(e for e in general.position_encodings if e != UTF8)]


class TorchlintProtocol(ReadsMalformedMessages):
    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        prefer_utf8(params.capabilities)
        return (yield from super().lsp_initialize(params))
