"""Every failure the server answers becomes the protocol's error envelope here.

Route code raises `ApiError` (or lets a `StoreError` through); the pipeline
wrapper turns either into a `Reply`. Nothing else builds an error body.
"""

from __future__ import annotations

from intent_bus import protocol
from intent_bus.protocol import ErrorCode
from intent_bus.server.http.reply import Reply
from intent_bus.server.schemas import ErrorBody, ErrorDetail, encoder
from intent_bus.storage import errors as store_errors

BUSY_RETRY_AFTER = 1
"""Seconds a client is told to wait when the store could not take a write."""


class ApiError(Exception):
    """A request the protocol answers with an error status and code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers

    def reply(self) -> Reply:
        return error_reply(self.status, self.code, self.message, self.headers)


def error_reply(
    status: int,
    code: str,
    message: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> Reply:
    body = encoder.encode(ErrorBody(ErrorDetail(code, message)))
    return Reply(status, body, headers)


def invalid_request(message: str) -> ApiError:
    return ApiError(400, ErrorCode.INVALID_REQUEST, message)


def payload_too_large(message: str) -> ApiError:
    return ApiError(413, ErrorCode.PAYLOAD_TOO_LARGE, message)


def not_found(message: str = "not found") -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, message)


def retry_after(seconds: int) -> tuple[tuple[bytes, bytes], ...]:
    return ((protocol.HEADER_RETRY_AFTER.lower().encode(), str(seconds).encode()),)


def store_error_reply(error: store_errors.StoreError) -> Reply:
    """Maps the storage seam's exceptions onto statuses; load is 503, never 500."""
    message = str(error) or type(error).__name__
    if isinstance(error, store_errors.LeaseLost):
        return error_reply(404, ErrorCode.LEASE_LOST, message)
    if isinstance(error, store_errors.NotFound):
        return error_reply(404, ErrorCode.NOT_FOUND, message)
    if isinstance(error, store_errors.Conflict):
        return error_reply(409, ErrorCode.CONFLICT, message)
    if isinstance(error, store_errors.Busy):
        return error_reply(
            503,
            ErrorCode.BUSY,
            "the server is busy, retry later",
            retry_after(BUSY_RETRY_AFTER),
        )
    if isinstance(error, store_errors.StorageFull):
        return error_reply(
            507,
            ErrorCode.INSUFFICIENT_STORAGE,
            "the database's disk is full: nothing was written; reads still work,"
            " retry the write once space is freed",
        )
    return error_reply(500, ErrorCode.INTERNAL_ERROR, "storage failure")


def internal_error_reply(request_id: str) -> Reply:
    return error_reply(
        500,
        ErrorCode.INTERNAL_ERROR,
        f"internal error (request id {request_id})",
    )
