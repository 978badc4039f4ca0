"""The one place where httpx's exceptions become the SDK's.

Each transport failure is classified by whether the request may have reached
the server (``request_sent``), because that decides whether a non-idempotent
request (claim) may be sent again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from intent_bus.sdk.exceptions import IntentBusNetworkError

__all__ = ["mapped_errors"]


@contextmanager
def mapped_errors(method: str, url: str) -> Iterator[None]:
    """Turns httpx transport errors raised inside the block into
    IntentBusNetworkError."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        # No connection was made, so the server never saw the request.
        raise IntentBusNetworkError(
            f"could not connect for {method} {url}: {exc or type(exc).__name__}",
            request_sent=False,
        ) from exc
    except httpx.TimeoutException as exc:
        raise IntentBusNetworkError(
            f"timed out waiting for {method} {url} ({type(exc).__name__})",
            request_sent=True,
        ) from exc
    except httpx.TransportError as exc:
        # Read/write errors, resets, a peer that closed without answering: the
        # request may have been processed and its response lost.
        raise IntentBusNetworkError(
            f"connection lost during {method} {url}: {exc or type(exc).__name__}",
            request_sent=True,
        ) from exc
