"""The wire format between the server and its engine process: an 8-byte big-endian length, then a pickle."""

from __future__ import annotations

import pickle
import struct

HEADER = struct.Struct(">Q")


def encode(payload: object) -> bytes:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def decode(data: bytes) -> object:
    return pickle.loads(data)
