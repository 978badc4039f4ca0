"""Strict JSON encoding: what the SDK puts on the wire, and its one failure mode.

Bodies are compact with sorted keys (the canonical form the signature is
computed over), and NaN / Infinity are refused before anything is sent, because
RFC 8259 has no such numbers and the server rejects them.
"""

from __future__ import annotations

import json
from typing import Any

from intent_bus.sdk.exceptions import IntentBusError

__all__ = ["dumps", "dumps_bytes"]

# What json.dumps builds afresh for every call with these options.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False)


def dumps(value: Any, what: str = "value") -> str:
    """Compact, key-sorted JSON text; IntentBusError if `value` is not strict JSON."""
    try:
        return _ENCODER.encode(value)
    except ValueError as exc:
        if "Out of range float" in str(exc):
            raise IntentBusError(
                f"{what} contains NaN or Infinity, which strict JSON does not allow"
            ) from None
        raise IntentBusError(f"{what} cannot be encoded as JSON: {exc}") from None
    except TypeError as exc:
        raise IntentBusError(f"{what} cannot be encoded as JSON: {exc}") from None


def dumps_bytes(value: Any, what: str = "request body") -> bytes:
    return dumps(value, what).encode()
