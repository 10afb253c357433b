"""Synthetic PyPI API tokens: real v2 macaroon bytes with the caveats PyPI writes."""

from __future__ import annotations

import base64
import json
import os


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(kind: int, data: bytes) -> bytes:
    return _varint(kind) + _varint(len(data)) + data


def make_pypi_token(location: str = "pypi.org", caveats: list[object] | None = None) -> str:
    raw = b"\x02" + _field(1, location.encode()) + _field(2, os.urandom(16).hex().encode())
    raw += b"\x00"
    for caveat in caveats or []:
        raw += _field(2, json.dumps(caveat).encode()) + b"\x00"
    raw += b"\x00" + _field(6, os.urandom(32))
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
