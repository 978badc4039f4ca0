"""A scripted HTTP server for what the real server never does: break the contract.

It answers each request with the next scripted reply (the last one repeats) and
records what it received. Only for protocol-error, 5xx and header tests; the
rest of the suite talks to the real server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeServer:
    url: str
    replies: list[Reply]
    seen: list[Seen]


@contextmanager
def fake_server(*replies: Reply) -> Iterator[FakeServer]:
    script = list(replies)
    seen: list[Seen] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            seen.append(Seen(self.command, self.path, dict(self.headers), body))
            reply = script.pop(0) if len(script) > 1 else script[0]
            self.send_response(reply.status)
            headers = {"X-Intent-Version": "7.61", **reply.headers}
            if reply.status not in (204, 304):
                headers.setdefault("Content-Type", "application/json")
                headers["Content-Length"] = str(len(reply.body))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if reply.status not in (204, 304):
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeServer(f"http://127.0.0.1:{httpd.server_port}", script, seen)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
