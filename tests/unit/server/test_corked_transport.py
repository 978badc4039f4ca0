"""A response's head and body leave in one write; a lone write still leaves
on the same loop turn, and closing never drops what is held."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from intent_bus.server.http.connection import CorkedTransport


class Recording:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def corked() -> tuple[CorkedTransport, Recording]:
    real = Recording()
    transport: Any = real
    return CorkedTransport(transport, asyncio.get_running_loop()), real


@pytest.mark.anyio
async def test_head_and_body_are_one_write() -> None:
    transport, real = corked()
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"{}")
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")
    transport.write(b"")  # a 204's empty body still ends the response
    assert real.writes[1:] == [b"HTTP/1.1 204 No Content\r\n\r\n"]
    await asyncio.sleep(0)
    assert len(real.writes) == 2


@pytest.mark.anyio
async def test_a_lone_write_goes_out_on_the_same_loop_turn() -> None:
    transport, real = corked()
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")  # e.g. the head of a HEAD answer
    assert real.writes == []
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n"]


@pytest.mark.anyio
async def test_close_sends_what_is_held_first() -> None:
    transport, real = corked()
    transport.write(b"refusal")
    transport.close()
    assert real.writes == [b"refusal"] and real.closed
    assert transport.is_closing()  # everything else is the real transport's
