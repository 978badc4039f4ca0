"""StdlibTransport over real sockets: the live server for the happy paths and
small scripted servers on 127.0.0.1 for the failures httpx's transport would
report, so the retry rules above it keep their meaning."""

from __future__ import annotations

import http.client
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest

from intent_bus import IntentBusNetworkError, IntentClient
from intent_bus.sdk import stdlib_transport
from intent_bus.sdk.retry import RetryPolicy
from intent_bus.sdk.stdlib_transport import Outgoing, StdlibTransport
from tests.harness import ServerHandle

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.02, max_total=10)


# ------------------------------------------------------------ scripted servers


def read_request(reader: BinaryIO) -> bytes | None:
    """One request (head and Content-Length body), or None at EOF."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.readline()
        if not line:
            return None
        head += line
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + reader.read(length)


def answer(body: bytes, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def reset(sock: socket.socket) -> None:
    """Closes with RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


Script = Callable[[socket.socket, BinaryIO, "RawServer"], None]


class RawServer:
    """Runs `script` on each accepted connection, in its own thread."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.connections = 0
        self.requests: list[bytes] = []
        self.closed_by_peer = threading.Event()
        self.stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def record(self, request: bytes) -> None:
        with self._lock:
            self.requests.append(request)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._sockets.append(conn)
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self, conn: socket.socket) -> None:
        try:
            self._script(conn, conn.makefile("rb"), self)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def serve() -> Iterator[Callable[[Script], RawServer]]:
    started: list[RawServer] = []

    def start(script: Script) -> RawServer:
        server = RawServer(script)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def transport() -> Iterator[StdlibTransport]:
    with StdlibTransport() as opened:
        yield opened


def keep_alive(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
    """Answers every request with its request line, until the client closes."""
    while (request := read_request(reader)) is not None:
        server.record(request)
        conn.sendall(answer(request.split(b"\r\n")[0]))
    server.closed_by_peer.set()


def one_then_close(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
    """Answers one request as if keeping the connection, then closes it idle."""
    request = read_request(reader)
    assert request is not None
    server.record(request)
    conn.sendall(answer(b"ok"))
    conn.close()


def one_then_reset(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
    request = read_request(reader)
    assert request is not None
    server.record(request)
    conn.sendall(answer(b"ok"))
    reset(conn)


def read_then_close(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
    """Takes the request and hangs up without answering (a lost response)."""
    request = read_request(reader)
    if request is not None:
        server.record(request)


def read_then_hang(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
    request = read_request(reader)
    if request is not None:
        server.record(request)
    server.stop.wait(30)


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.002)


# ------------------------------------------------------------ keep-alive


def test_many_calls_share_one_connection(
    serve: Callable[[Script], RawServer], transport: StdlibTransport
) -> None:
    server = serve(keep_alive)
    with httpx.Client(base_url=server.url, transport=transport) as client:
        for n in range(20):
            response = client.post(f"/echo/{n}", content=b"x" * n)
            assert response.text == f"POST /echo/{n} HTTP/1.1"
    assert server.connections == 1
    assert len(server.requests) == 20
    assert server.requests[5].endswith(b"\r\n\r\nxxxxx")


def test_sdk_calls_against_the_server_reuse_one_connection(
    sqlite_server: ServerHandle,
    tenant_key: str,
    serve: Callable[[Script], RawServer],
) -> None:
    upstream = sqlite_server.url.removeprefix("http://").split(":")
    address = (upstream[0], int(upstream[1]))

    def relay(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
        with socket.create_connection(address) as out:
            pump = threading.Thread(target=copy, args=(out, conn), daemon=True)
            pump.start()
            copy(conn, out)
            pump.join(5)

    def copy(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    counting = serve(relay)
    with IntentClient(counting.url, tenant_key, transport=StdlibTransport()) as client:
        for n in range(10):
            client.publish("g", {"n": n}, namespace="reuse")
            job = client.claim(namespace="reuse")
            assert job.payload == {"n": n}
            assert client.fulfill(job.id, result=n)["status"] == "fulfilled"
    assert counting.connections == 1


def test_idle_connection_expires_before_the_server_would_close_it(
    serve: Callable[[Script], RawServer],
) -> None:
    server = serve(keep_alive)
    now = [100.0]
    transport = StdlibTransport(keepalive_expiry=4.0, clock=lambda: now[0])
    with httpx.Client(base_url=server.url, transport=transport) as client:
        client.get("/a")
        now[0] += 3.9
        client.get("/b")
        assert server.connections == 1
        now[0] += 4.0
        client.get("/c")
    assert server.connections == 2


def test_idle_connection_closed_by_the_server_is_replaced(
    serve: Callable[[Script], RawServer],
    transport: StdlibTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = serve(one_then_close)
    real_check = stdlib_transport._is_readable

    def check_after_close_arrived(sock: socket.socket) -> bool:
        # Under load the FIN may take a moment to arrive; the point here is
        # what happens once it has.
        wait_until(lambda: real_check(sock))
        return real_check(sock)

    monkeypatch.setattr(stdlib_transport, "_is_readable", check_after_close_arrived)
    with httpx.Client(base_url=server.url, transport=transport) as client:
        for _ in range(3):
            assert client.get("/x").text == "ok"
    assert server.connections == 3
    assert len(server.requests) == 3


def test_write_to_a_connection_reset_while_idle_is_sent_again_once(
    serve: Callable[[Script], RawServer],
    transport: StdlibTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keep-alive race proper: the reset lands after the idle check, so the
    write fails; the server holds no request, and a fresh connection carries it."""
    server = serve(one_then_reset)
    real_check = stdlib_transport._is_readable

    def check_just_before_reset(sock: socket.socket) -> bool:
        wait_until(lambda: real_check(sock))
        return False

    monkeypatch.setattr(stdlib_transport, "_is_readable", check_just_before_reset)
    with httpx.Client(base_url=server.url, transport=transport) as client:
        assert client.post("/first", content=b"1").text == "ok"
        assert client.post("/second", content=b"2").text == "ok"
    assert server.connections == 2
    assert [r.split(b" ")[1] for r in server.requests] == [b"/first", b"/second"]


def test_answer_with_connection_close_is_not_reused(
    serve: Callable[[Script], RawServer], transport: StdlibTransport
) -> None:
    def close_each(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
        request = read_request(reader)
        assert request is not None
        server.record(request)
        conn.sendall(answer(b"bye", "Connection: close"))
        # Keep the socket open: only the header says the connection is done.
        server.stop.wait(30)

    server = serve(close_each)
    with httpx.Client(base_url=server.url, transport=transport) as client:
        assert client.get("/1").text == "bye"
        assert client.get("/2").text == "bye"
    assert server.connections == 2


def test_chunked_answer_is_read_whole_and_the_connection_reused(
    serve: Callable[[Script], RawServer], transport: StdlibTransport
) -> None:
    def chunked(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
        while (request := read_request(reader)) is not None:
            server.record(request)
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for piece in (b'{"value": ', b"[1, 2, 3]", b"}"):
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.sendall(b"0\r\n\r\n")

    server = serve(chunked)
    with httpx.Client(base_url=server.url, transport=transport) as client:
        for _ in range(2):
            response = client.get("/get/k")
            assert response.json() == {"value": [1, 2, 3]}
            assert response.headers["transfer-encoding"] == "chunked"
    assert server.connections == 1


# ------------------------------------------------------------ failures


def test_answer_sent_before_the_body_was_read_is_the_response(
    serve: Callable[[Script], RawServer], transport: StdlibTransport
) -> None:
    """A server may refuse an oversized body from its headers alone (413) and
    hang up; the client's write then fails, but the answer is what counts."""

    def refuse_early(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += reader.readline()
        server.record(head)
        conn.sendall(
            b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n"
            b"Connection: close\r\n\r\nbig"
        )
        conn.shutdown(socket.SHUT_WR)
        # Unread body in the buffer: closing now sends RST to the writer.
        reset(conn)

    server = serve(refuse_early)
    with httpx.Client(base_url=server.url, transport=transport) as client:
        response = client.post("/intent", content=b"x" * 20_000_000)
    assert response.status_code == 413
    assert response.text == "big"


def test_connection_refused_is_connect_error_and_not_sent() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with (
        httpx.Client(transport=StdlibTransport()) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get(url + "/healthz")
    with (
        IntentClient(url, "tk_x", retry=RetryPolicy(max_attempts=1)) as sdk,
        pytest.raises(IntentBusNetworkError) as info,
    ):
        sdk.claim()
    assert info.value.request_sent is False


def test_server_hanging_up_without_answer_is_a_lost_response(
    serve: Callable[[Script], RawServer], transport: StdlibTransport
) -> None:
    server = serve(read_then_close)
    with (
        httpx.Client(base_url=server.url, transport=transport) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.post("/claim")
    assert len(server.requests) == 1


def test_server_resetting_after_the_request_is_a_read_error(
    serve: Callable[[Script], RawServer], transport: StdlibTransport
) -> None:
    def read_then_reset(
        conn: socket.socket, reader: BinaryIO, server: RawServer
    ) -> None:
        request = read_request(reader)
        assert request is not None
        server.record(request)
        reset(conn)

    server = serve(read_then_reset)
    with (
        httpx.Client(base_url=server.url, transport=transport) as client,
        pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)),
    ):
        client.post("/claim")
    assert len(server.requests) == 1


@pytest.mark.parametrize("script", [read_then_close, read_then_hang])
def test_claim_whose_answer_is_lost_is_not_sent_again(
    serve: Callable[[Script], RawServer], script: Script
) -> None:
    server = serve(script)
    with (
        IntentClient(server.url, "tk_x", timeout=0.5, retry=FAST) as client,
        pytest.raises(IntentBusNetworkError) as info,
    ):
        client.claim(namespace="lost")
    assert info.value.request_sent is True
    assert len(server.requests) == 1
    assert server.requests[0].startswith(b"POST /claim?namespace=lost ")


def test_publish_whose_answer_is_lost_is_sent_again(
    serve: Callable[[Script], RawServer],
) -> None:
    server = serve(read_then_close)
    with (
        IntentClient(server.url, "tk_x", retry=FAST) as client,
        pytest.raises(IntentBusNetworkError),
    ):
        client.publish("g", {})
    assert len(server.requests) == FAST.max_attempts
    keys = {r.split(b"Idempotency-Key: ")[1][:20] for r in server.requests}
    assert len(keys) == 1


def test_slow_answer_is_read_timeout(
    serve: Callable[[Script], RawServer], transport: StdlibTransport
) -> None:
    server = serve(read_then_hang)
    timeout = httpx.Timeout(5.0, read=0.2)
    with (
        httpx.Client(base_url=server.url, transport=transport, timeout=timeout) as c,
        pytest.raises(httpx.ReadTimeout),
    ):
        c.get("/slow")


def test_long_poll_claim_waits_past_the_client_timeout(
    sqlite_server: ServerHandle, tenant_key: str
) -> None:
    with IntentClient(sqlite_server.url, tenant_key, timeout=0.5) as client:
        started = time.monotonic()
        job = client.claim(namespace="empty", wait=1.5)
    assert not job
    assert time.monotonic() - started >= 1.4


# ------------------------------------------------------------ threads, close


def test_eight_threads_share_one_client(
    sqlite_server: ServerHandle, tenant_key: str
) -> None:
    errors: list[BaseException] = []
    done: list[int] = []

    def work(client: IntentClient, n: int) -> None:
        try:
            for i in range(15):
                client.publish("g", {"n": n, "i": i}, namespace=f"t{n}")
                job = client.claim(namespace=f"t{n}")
                assert job.payload == {"n": n, "i": i}
                client.fulfill(job.id, result=i)
                done.append(n)
        except BaseException as exc:
            errors.append(exc)

    with IntentClient(sqlite_server.url, tenant_key) as client:
        threads = [threading.Thread(target=work, args=(client, n)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert len(done) == 8 * 15


def test_eight_threads_get_their_own_answers_on_at_most_eight_connections(
    serve: Callable[[Script], RawServer], transport: StdlibTransport
) -> None:
    server = serve(keep_alive)
    wrong: list[str] = []

    def work(client: httpx.Client, n: int) -> None:
        for i in range(40):
            text = client.get(f"/{n}/{i}").text
            if text != f"GET /{n}/{i} HTTP/1.1":
                wrong.append(text)

    with httpx.Client(base_url=server.url, transport=transport) as client:
        threads = [threading.Thread(target=work, args=(client, n)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert wrong == []
    assert len(server.requests) == 8 * 40
    assert 1 <= server.connections <= 8


def test_head_and_body_leave_in_one_write(
    serve: Callable[[Script], RawServer],
    transport: StdlibTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = serve(keep_alive)
    writes: list[bytes] = []
    real = http.client.HTTPConnection.send

    def spy(self: http.client.HTTPConnection, data: Any) -> None:
        writes.append(bytes(data))
        real(self, data)

    monkeypatch.setattr(http.client.HTTPConnection, "send", spy)
    request = httpx.Request("POST", server.url + "/x", content=b'{"a":1}')
    transport.handle_request(request).read()
    transport.handle_request(httpx.Request("GET", server.url + "/y")).read()
    assert len(writes) == 2
    assert writes[0].startswith(b"POST /x HTTP/1.1\r\n")
    assert writes[0].endswith(b'\r\nContent-Length: 7\r\n\r\n{"a":1}')
    assert server.requests[0] == writes[0]


def test_close_hangs_up_idle_connections(serve: Callable[[Script], RawServer]) -> None:
    server = serve(keep_alive)
    transport = StdlibTransport()
    request = httpx.Request("GET", server.url + "/x")
    transport.handle_request(request)
    transport.close()
    assert server.closed_by_peer.wait(5)
    with pytest.raises(RuntimeError):
        transport.handle_request(request)


def test_default_sync_client_speaks_through_stdlib_transport(
    sqlite_server: ServerHandle,
    tenant_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[str] = []
    real = StdlibTransport.exchange

    def spy(
        self: StdlibTransport, origin: tuple[str, str, int], out: Outgoing
    ) -> httpx.Response:
        sent.append(out.target)
        return real(self, origin, out)

    # Both the client's fast path (``wire``) and ``handle_request`` end here.
    monkeypatch.setattr(StdlibTransport, "exchange", spy)
    with IntentClient(sqlite_server.url, tenant_key) as client:
        client.set("k", 1)
        assert client.get("k") == 1
    assert sent == ["/set/k", "/get/k"]


# ------------------------------------------------------------ TLS


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    command += " -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
    subprocess.run(
        [*command.split(), "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_verifies_the_server_and_keeps_the_connection(
    serve: Callable[[Script], RawServer], certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)

    def tls(conn: socket.socket, reader: BinaryIO, server: RawServer) -> None:
        with server_side.wrap_socket(conn, server_side=True) as wrapped:
            keep_alive(wrapped, wrapped.makefile("rb"), server)

    server = serve(tls)
    url = server.url.replace("http://", "https://") + "/secure"
    trusting = StdlibTransport(ssl_context=ssl.create_default_context(cafile=cert))
    with httpx.Client(transport=trusting) as client:
        assert client.get(url).text == "GET /secure HTTP/1.1"
        assert client.get(url).text == "GET /secure HTTP/1.1"
    assert server.connections == 1
    with (
        httpx.Client(transport=StdlibTransport()) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get(url)
