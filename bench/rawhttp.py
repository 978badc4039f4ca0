"""A minimal keep-alive HTTP/1.1 client on asyncio streams, for load generation.

Benchmarks must measure the server, not the client: a general-purpose client
(httpx, requests) spends more CPU per request than the server does on a two-core
machine. This one speaks just enough HTTP/1.1 for Intent Bus responses
(Content-Length bodies, 204 without a body).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

from intent_bus import protocol
from intent_bus.sdk.auth import Signer

_CANONICAL: dict[str, str] = {}
"""Canonical paths of the targets with a query, as the SDK knows them from its
parameters without parsing its own URL again."""


class RawConnection:
    """One persistent connection; requests on it are sequential."""

    def __init__(
        self, host: str, port: int, api_key: str, *, signed: bool = False
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key
        self.signed = signed
        self._signer = Signer(api_key)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self.host, self.port
            )
        return self._reader, self._writer

    async def request(
        self, method: str, target: str, body: Any = None
    ) -> tuple[int, dict[str, str], Any]:
        """Sends one request; returns (status, lower-cased headers, decoded JSON)."""
        reader, writer = await self._connect()
        payload = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {target} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            f"X-API-KEY: {self.api_key}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n"
        )
        if self.signed:
            head += self._signature(method, target, payload)
        head += "\r\n"
        writer.write(head.encode() + payload)
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        raw = await reader.readexactly(length) if length else b""
        return status, headers, (json.loads(raw) if raw else None)

    def _signature(self, method: str, target: str, payload: bytes) -> str:
        """Strict-mode headers, signed by the SDK's own signer."""
        canonical = _CANONICAL.get(target)
        if canonical is None:
            path, _, query = target.partition("?")
            canonical = protocol.canonical_path(path, parse_qsl(query, True))
            if query:  # a loop's claim target repeats; each fulfill's path is new
                _CANONICAL[target] = canonical
        signed = self._signer.headers(method, canonical, payload)
        return "".join(
            f"{name}: {value}\r\n"
            for name, value in signed
            if name != protocol.HEADER_API_KEY
        )

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except ConnectionError:
                pass
        self._reader = self._writer = None
