"""HTTP edges, over raw sockets: oversized heads, slow clients, too many
connections and malformed requests are answered in the error envelope (or the
connection is closed), promptly, and never hold a slot."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from intent_bus import protocol
from intent_bus.server.settings import Settings
from tests.harness import ServerHandle, running_server

TIMEOUT = 1.0


@pytest.fixture
def edge_server(sqlite_url: str) -> Iterator[ServerHandle]:
    settings = Settings(db_url=sqlite_url, request_timeout=TIMEOUT, max_connections=8)
    with running_server(settings) as handle:
        yield handle


def connect(server: ServerHandle, timeout: float = 10.0) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


def read_reply(sock: socket.socket) -> tuple[int, dict[str, str], Any]:
    """Reads until the server closes or the body is complete."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = [
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if length and len(body) >= length[0]:
                break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(
        (name.strip().lower(), value.strip())
        for name, _, value in (line.partition(":") for line in lines[1:])
    )
    return int(lines[0].split(" ")[1]), headers, json.loads(body) if body else None


def exchange(server: ServerHandle, data: bytes) -> tuple[int, dict[str, str], Any]:
    with connect(server) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        return read_reply(sock)


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


GET = b"GET /healthz HTTP/1.1\r\nHost: t\r\n"


def test_a_normal_request_still_works(edge_server: ServerHandle) -> None:
    status, _, body = exchange(edge_server, GET + b"\r\n")
    assert status == 200
    assert body == {"status": "ok", "version": protocol.PROTOCOL_VERSION}


@pytest.mark.parametrize(
    "extra",
    [
        b"X-Big: " + b"a" * (64 * 1024) + b"\r\n",
        b"".join(b"X-H%d: v\r\n" % i for i in range(20_000)),
        b"".join(b"X-H%d: v\r\n" % i for i in range(protocol.MAX_HEADER_COUNT + 1)),
    ],
    ids=["64KiB-header", "20000-headers", "one-header-too-many"],
)
def test_oversized_heads_get_431_in_the_envelope(
    edge_server: ServerHandle, extra: bytes
) -> None:
    status, headers, body = exchange(edge_server, GET + extra + b"\r\n")
    assert status == 431
    assert headers["connection"] == "close"
    assert headers[protocol.HEADER_VERSION.lower()] == protocol.PROTOCOL_VERSION
    assert body["error"]["code"] == "headers_too_large"


@pytest.mark.parametrize("size", [1 << 20, 8 << 20])
def test_huge_headers_are_cut_off_early(edge_server: ServerHandle, size: int) -> None:
    """The server stops reading once the head is over the limit: the client
    sees 431, or a reset while it is still sending, never a 200."""
    started = time.monotonic()
    with connect(edge_server) as sock:
        answer: tuple[int, dict[str, str], Any] | None = None
        try:
            sock.sendall(GET + b"X-Big: " + b"a" * size + b"\r\n\r\n")
            answer = read_reply(sock)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed on us mid-send: the server stopped reading
        if answer is not None:
            assert answer[0] == 431
    assert time.monotonic() - started < 5


def test_a_200000_character_intent_id_gets_414_in_the_envelope(
    edge_server: ServerHandle,
) -> None:
    target = b"/status/" + b"a" * 200_000
    status, _, body = exchange(
        edge_server, b"GET " + target + b" HTTP/1.1\r\nHost: t\r\nX-API-KEY: k\r\n\r\n"
    )
    assert status == 414
    assert body["error"]["code"] == "uri_too_long"


def test_unparsable_request_gets_400_in_the_envelope(edge_server: ServerHandle) -> None:
    status, _, body = exchange(edge_server, b"\x01\x02 nonsense\r\n\r\n")
    assert status == 400
    assert body["error"]["code"] == "invalid_request"


def test_a_body_shorter_than_its_content_length_times_out(
    edge_server: ServerHandle,
) -> None:
    key = edge_server.create_tenant()
    started = time.monotonic()
    status, headers, body = exchange(
        edge_server,
        b"POST /intent HTTP/1.1\r\nHost: t\r\nX-API-KEY: "
        + key.encode()
        + b"\r\nContent-Length: 100\r\n\r\n{",
    )
    elapsed = time.monotonic() - started
    assert status == 408
    assert headers["connection"] == "close"
    assert body["error"]["code"] == "request_timeout"
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 3


@pytest.mark.parametrize("sent", [b"", GET], ids=["nothing", "half-a-head"])
def test_a_slow_or_silent_client_times_out(
    edge_server: ServerHandle, sent: bytes
) -> None:
    started = time.monotonic()
    with connect(edge_server) as sock:
        sock.sendall(sent)
        status, _, body = read_reply(sock)
        assert closed_by_server(sock)
    assert status == 408
    assert body["error"]["code"] == "request_timeout"
    assert time.monotonic() - started < TIMEOUT + 3


def test_connections_over_the_cap_get_503_and_are_closed(
    edge_server: ServerHandle,
) -> None:
    """Idle connections count (long-polling workers are such): the one over
    `max_connections` is answered 503 busy at once and closed; once others
    close, new connections are served again."""
    cap = edge_server.settings.max_connections
    idle = [connect(edge_server) for _ in range(cap)]
    try:
        time.sleep(0.2)  # let the server register them
        with connect(edge_server) as extra:
            status, headers, body = read_reply(extra)
            assert status == 503
            assert body["error"]["code"] == "busy"
            assert headers["retry-after"] == "1"
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.2)
    status, _, _ = exchange(edge_server, GET + b"\r\n")
    assert status == 200


def test_a_stalled_head_on_a_kept_alive_connection_times_out(
    edge_server: ServerHandle,
) -> None:
    """The head clock starts when a head stays incomplete after a read, on the
    connection's later requests too, not only on its first."""
    with connect(edge_server) as sock:
        sock.sendall(GET + b"\r\n")
        assert read_reply(sock)[0] == 200
        started = time.monotonic()
        sock.sendall(GET)  # the next request's head, never finished
        status, _, body = read_reply(sock)
        assert closed_by_server(sock)
    assert status == 408
    assert body["error"]["code"] == "request_timeout"
    assert TIMEOUT * 0.9 <= time.monotonic() - started < TIMEOUT + 3


def test_heads_and_bodies_arriving_in_pieces_within_the_deadline_are_served(
    edge_server: ServerHandle,
) -> None:
    key = edge_server.create_tenant().encode()
    body = json.dumps({"goal": "pieces", "payload": {"n": 1}}).encode()
    head = (
        b"POST /intent HTTP/1.1\r\nHost: t\r\nX-API-KEY: "
        + key
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
    )
    with connect(edge_server) as sock:
        for piece in (head[:20], head[20:], body[:5], body[5:]):
            sock.sendall(piece)
            time.sleep(TIMEOUT / 5)
        status, _, answer = read_reply(sock)
    assert status == 201
    assert answer["status"] == "open"
