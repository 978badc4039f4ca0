"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1, between a client and the server.

It relays requests one by one and, for requests whose path starts with a given
prefix, applies scripted faults in order:

- ``drop``: reset the client's connection before forwarding (server saw nothing);
- ``lose``: forward, read the server's full answer, then reset the client's
  connection instead of relaying it (the request was processed, the answer lost);
- ``delay:S``: wait S seconds, then relay normally.

``forwarded`` lists the request lines the server actually received.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO


def _read_message(stream: BinaryIO, *, request: bool, method: str = "") -> bytes | None:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline()
        if not line:
            return None
        head += line
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if not request:
        status = int(lines[0].split()[1])
        if status in (204, 304) or method == "HEAD":
            length = 0
    return head + (stream.read(length) if length else b"")


def _reset(sock: socket.socket) -> None:
    # SO_LINGER with zero timeout makes close() send RST instead of FIN.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self._upstream = (host, int(port))
        self._faults: dict[str, deque[str]] = {}
        self._lock = threading.Lock()
        self.forwarded: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._closing = False
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    def inject(self, path_prefix: str, *faults: str) -> None:
        """Applies `faults` in order to the next requests under `path_prefix`."""
        with self._lock:
            self._faults.setdefault(path_prefix, deque()).extend(faults)

    def count(self, path_prefix: str) -> int:
        """How many requests under `path_prefix` reached the server."""
        return sum(
            1 for line in self.forwarded if line.split()[1].startswith(path_prefix)
        )

    def _next_fault(self, path: str) -> str:
        with self._lock:
            for prefix, faults in self._faults.items():
                if path.startswith(prefix) and faults:
                    return faults.popleft()
        return "pass"

    def start(self) -> None:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self._upstream)
        self._sockets.append(upstream)
        from_client = client.makefile("rb")
        from_upstream = upstream.makefile("rb")
        try:
            while True:
                request = _read_message(from_client, request=True)
                if request is None:
                    break
                line = request.split(b"\r\n", 1)[0].decode("latin-1")
                method, path = line.split()[:2]
                fault = self._next_fault(path)
                if fault == "drop":
                    _reset(client)
                    return
                if fault.startswith("delay:"):
                    time.sleep(float(fault.split(":", 1)[1]))
                upstream.sendall(request)
                self.forwarded.append(line)
                response = _read_message(from_upstream, request=False, method=method)
                if response is None:
                    break
                if fault == "lose":
                    _reset(client)
                    return
                client.sendall(response)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                try:
                    sock.close()
                except OSError:
                    pass

    def stop(self) -> None:
        self._closing = True
        try:
            # shutdown() wakes the thread blocked in accept(); close() alone does not.
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
