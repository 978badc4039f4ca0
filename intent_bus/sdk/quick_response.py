"""``QuickResponse``: ``http.client``'s response, with a cheaper header parser.

``http.client`` hands every response's header block to the ``email`` package's
parser, the largest share of ``StdlibTransport``'s own CPU per call. Servers
answer with plain ``Name: value`` lines, which this module reads straight into
the same ``HTTPMessage``, with the values the email parser would give (leading
blanks and the line end stripped). A block it does not recognise as plain
(folded lines, a line without a name or a colon) goes to the email parser as
before, so the result never differs; ``tests/unit/sdk/test_quick_response.py``
compares both.

``begin`` is ``http.client.HTTPResponse.begin`` (the same in Python 3.10 to
3.13) with only the header parsing swapped.
"""

from __future__ import annotations

import email.parser
import re
from http import HTTPStatus
from http.client import (
    HTTPException,
    HTTPMessage,
    HTTPResponse,
    LineTooLong,
    UnknownProtocol,
)
from typing import Any, Final

__all__ = ["QuickResponse", "parse_headers"]

# http.client's own limits.
_MAXLINE: Final = 65536
_MAXHEADERS: Final = 100

# A field name as the email parser accepts one: printable ASCII but the colon.
_NAME: Final = re.compile(rb"[\x21-\x39\x3b-\x7e]+").fullmatch

_END_LINES: Final = (b"\r\n", b"\n", b"")


def parse_headers(fp: Any) -> HTTPMessage:
    """``http.client.parse_headers(fp)``, without the email parser for plain
    header blocks."""
    lines: list[bytes] = []
    while True:
        line = fp.readline(_MAXLINE + 1)
        if len(line) > _MAXLINE:
            raise LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAXHEADERS:
            raise HTTPException(f"got more than {_MAXHEADERS} headers")
        if line in _END_LINES:
            break
    message = HTTPMessage()
    message.set_payload("")  # what the email parser leaves after the headers
    for line in lines[:-1]:
        name, colon, value = line.partition(b":")
        if not colon or not _NAME(name):
            block = b"".join(lines).decode("iso-8859-1")
            parsed: HTTPMessage = email.parser.Parser(_class=HTTPMessage).parsestr(
                block
            )
            return parsed
        message.set_raw(
            name.decode("ascii"),
            value.decode("iso-8859-1").lstrip(" \t").rstrip("\r\n"),
        )
    return message


class QuickResponse(HTTPResponse):
    """The response class of ``StdlibTransport``'s connections."""

    def begin(self) -> None:
        # What follows is http.client's, but for parse_headers.
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != HTTPStatus.CONTINUE:
                break
            # Skip the header block of a 100 response.
            parse_headers(self.fp)

        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise UnknownProtocol(version)

        self.headers = self.msg = parse_headers(self.fp)

        transfer_encoding = self.headers.get("transfer-encoding")
        if transfer_encoding and transfer_encoding.lower() == "chunked":
            self.chunked = True
            self.chunk_left = None
        else:
            self.chunked = False

        self.will_close = self._check_close()

        # RFC 9112: Content-Length is ignored under chunked transfer coding.
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None

        if (
            status == HTTPStatus.NO_CONTENT
            or status == HTTPStatus.NOT_MODIFIED
            or 100 <= status < 200
            or self._method == "HEAD"
        ):
            self.length = 0

        # Open, not chunked and no length: the body ends when the server closes.
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True
