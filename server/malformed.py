"""Messages the server cannot read get the JSON-RPC error that says why, and the server reads on.

pygls logs such a message and drops it: a request whose params do not fit its method's types, or
JSON that is no JSON-RPC 2.0 message, would leave its client waiting for an answer that never comes.
Here, as JSON-RPC 2.0 asks, a request is answered under its own id (Invalid Params, Invalid Request)
and what has no usable id under id null (Parse Error, see `TorchlintServer.report_server_error`;
Invalid Request); a response to one of the server's own requests fails that request; a notification
is logged and dropped, since nothing answers a notification.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol

logger = logging.getLogger(__name__)
VERSION = "2.0"


@dataclass(frozen=True)
class Unreadable:
    """A JSON-RPC message whose fields do not fit its method's types."""

    data: dict[str, Any]
    error: JsonRpcException


def message_id(message: object) -> int | str | None:
    """The message's id, if it has one a response can carry."""
    value = message.get("id") if isinstance(message, dict) else getattr(message, "id", None)
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


class ReadsMalformedMessages(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            return Unreadable(data, error)

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Unreadable):
            self._unreadable(message.data, message.error)
        elif getattr(message, "jsonrpc", None) != VERSION:  # JSON, but not a JSON-RPC 2.0 message
            self._unreadable(message, JsonRpcInvalidRequest())
        elif hasattr(message, "method") and hasattr(message, "id") and message_id(message) is None:
            self.refuse(None, JsonRpcInvalidRequest())  # a request whose id no answer could carry
        else:
            super().handle_message(message)

    def _unreadable(self, message: object, error: JsonRpcException) -> None:
        fields = message if isinstance(message, dict) else {}
        number = message_id(message)
        if "method" in fields and "id" not in fields:
            logger.warning("dropped an unreadable %r notification: %s", fields["method"], error)
        elif "method" not in fields and number is not None and ("result" in fields or "error" in fields):
            self._handle_response(number, None, error.to_response_error())
        else:
            self.refuse(number, error if number is not None else JsonRpcInvalidRequest())

    def refuse(self, number: int | str | None, error: JsonRpcException) -> None:
        """Answer with an error; under id null when the message has no id that could be answered."""
        if number is not None:
            self._send_response(number, error=error.to_response_error())
        else:  # pygls leaves out a None id, which JSON-RPC requires here
            self._send_data({"jsonrpc": VERSION, "id": None, "error": {"code": error.code, "message": error.message}})
