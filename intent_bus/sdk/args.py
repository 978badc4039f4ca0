"""Checks of the arguments a caller passes, before anything is sent.

The SDK's client-side policy: types and the protocol's limits (from
``intent_bus.protocol``, the same constants the server enforces) are checked
here, so a bad call fails fast with ``IntentBusError`` naming the argument and
no round trip; the server stays the authority for everything else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from intent_bus import protocol
from intent_bus.sdk import strict_json
from intent_bus.sdk.exceptions import IntentBusError
from intent_bus.sdk.models import (
    ClaimedIntent,
    ClaimResponse,
    IntentResult,
    IntentStatus,
)

__all__ = [
    "capabilities",
    "checkpoint",
    "header_text",
    "integer",
    "intent_id",
    "number",
    "progress",
    "segment",
    "text",
]


def text(name: str, value: Any, max_chars: int | None) -> str:
    """A non-empty string of at most `max_chars` (None: the server's to bound)."""
    if not isinstance(value, str):
        raise IntentBusError(f"{name} must be a string, got {type(value).__name__}")
    if not value:
        raise IntentBusError(f"{name} must not be empty")
    if max_chars is not None and len(value) > max_chars:
        raise IntentBusError(f"{name} must be at most {max_chars} characters")
    return value


def header_text(name: str, value: Any, max_chars: int) -> str:
    """A `text` that can travel in an HTTP header."""
    checked = text(name, value, max_chars)
    if not checked.isascii() or not checked.isprintable():
        raise IntentBusError(f"{name} must be printable ASCII (it travels in a header)")
    return checked


def integer(name: str, value: Any, low: int, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise IntentBusError(f"{name} must be an integer, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise IntentBusError(f"{name} must be {bounds}, got {value}")
    return value


def number(
    name: str, value: Any, *, positive: bool, high: float | None = None
) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise IntentBusError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise IntentBusError(f"{name} must be finite")
    if (positive and value <= 0) or value < 0:
        raise IntentBusError(f"{name} must be {'> 0' if positive else '>= 0'}")
    if high is not None and value > high:
        raise IntentBusError(f"{name} must be at most {high:g}")
    return value


def progress(value: Any) -> float | str:
    """A fraction of the work done (0..1), or a short text."""
    if isinstance(value, str):
        if len(value) > protocol.PROGRESS_TEXT_MAX_CHARS:
            raise IntentBusError(
                f"progress must be at most {protocol.PROGRESS_TEXT_MAX_CHARS} "
                "characters"
            )
        return value
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise IntentBusError(
            f"progress must be a number or a string, got {type(value).__name__}"
        )
    if not math.isfinite(value) or not (
        protocol.PROGRESS_MIN <= value <= protocol.PROGRESS_MAX
    ):
        raise IntentBusError(f"progress must be between 0 and 1, got {value}")
    return value


def checkpoint(value: Any) -> str:
    """The checkpoint as the JSON text sent; its size is measured as the server
    measures it (compact UTF-8), so what passes here is not refused there."""
    text = strict_json.dumps(value, "checkpoint")
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > protocol.CHECKPOINT_MAX_BYTES:
        raise IntentBusError(
            f"checkpoint is {size} bytes as JSON, more than "
            f"{protocol.CHECKPOINT_MAX_BYTES}"
        )
    return text


def intent_id(value: Any) -> str:
    """The id of an intent given as its id or as any model that carries one."""
    if isinstance(value, ClaimResponse):
        if value.intent is None:
            raise IntentBusError(
                "this ClaimResponse holds no intent (nothing was claimed)"
            )
        return value.intent.id
    if isinstance(value, ClaimedIntent | IntentStatus | IntentResult):
        return value.id
    return text("intent_id", value, protocol.INTENT_ID_MAX_CHARS)


def capabilities(value: Any) -> str | None:
    """The ``X-Worker-Capabilities`` value for a list (or comma-separated text)."""
    if value is None:
        return None
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    try:
        names = [item.strip() if isinstance(item, str) else item for item in items]
    except TypeError:
        raise IntentBusError("capabilities must be a list of strings") from None
    for name in names:
        if not isinstance(name, str) or "," in name:
            raise IntentBusError(
                f"each capability must be a string without commas, got {name!r}"
            )
        header_text("capability", name, protocol.CAPABILITY_MAX_CHARS)
    return ",".join(names) if names else None


def segment(value: str) -> str:
    """`value` as one path segment, whatever it contains (ids, KV keys)."""
    return quote(value, safe="")
