"""QuickResponse reads header blocks exactly as http.client does."""

from __future__ import annotations

import email.parser
import http.client
import io

import pytest

from intent_bus.sdk.quick_response import QuickResponse, parse_headers

BLOCKS = [
    b"content-type: application/json\r\ncontent-length: 2\r\n\r\n",
    b"Server: uvicorn\r\nX-Intent-Version: 7.61\r\nRetry-After:  3 \r\n\r\n",
    b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nEmpty:\r\n\r\n",
    b"Bare: lf\nOther:\tx\n\n",
    b"Latin: caf\xe9\r\n\r\n",
    b"Folded: a\r\n  b\r\nNext: c\r\n\r\n",
    b"no colon here\r\nX: y\r\n\r\n",
    b": empty name\r\nX: y\r\n\r\n",
    b"Sp ace: v\r\n\r\n",
    b"From nobody\r\nX: y\r\n\r\n",
    b"X: no end",
    b"\r\n",
]


@pytest.mark.parametrize("block", BLOCKS)
def test_headers_read_as_http_client_reads_them(block: bytes) -> None:
    ours = parse_headers(io.BytesIO(block))
    theirs = http.client.parse_headers(io.BytesIO(block))
    assert ours.items() == theirs.items()
    assert ours.get_payload() == theirs.get_payload()
    assert [repr(d) for d in ours.defects] == [repr(d) for d in theirs.defects]


def test_limits_are_http_clients() -> None:
    with pytest.raises(http.client.LineTooLong):
        parse_headers(io.BytesIO(b"X: " + b"a" * 70000 + b"\r\n\r\n"))
    with pytest.raises(http.client.HTTPException):
        parse_headers(io.BytesIO(b"X: y\r\n" * 101 + b"\r\n"))


class FakeSocket:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self.data)


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 100 Continue\r\nX: 1\r\n\r\nHTTP/1.1 201 Created\r\n"
        b"Content-Length: 1\r\n\r\n1",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nrest",
    ],
)
def test_responses_read_as_http_client_reads_them(raw: bytes) -> None:
    ours = QuickResponse(FakeSocket(raw), method="GET")  # type: ignore[arg-type]
    theirs = http.client.HTTPResponse(FakeSocket(raw), method="GET")  # type: ignore[arg-type]
    ours.begin()
    theirs.begin()
    for name in ("status", "reason", "version", "chunked", "length", "will_close"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.getheaders() == theirs.getheaders()
    assert ours.read() == theirs.read()


def test_an_unknown_protocol_is_refused() -> None:
    response = QuickResponse(FakeSocket(b"HTTP/2.0 200 OK\r\n\r\n"))  # type: ignore[arg-type]
    with pytest.raises(http.client.UnknownProtocol):
        response.begin()


def test_plain_blocks_skip_the_email_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the email parser was used")

    monkeypatch.setattr(email.parser, "Parser", refuse)
    for block in BLOCKS[:5]:
        assert parse_headers(io.BytesIO(block)).items()
