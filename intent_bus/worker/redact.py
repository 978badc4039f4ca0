"""Masking of secret-looking values before a payload reaches a log or a terminal.

Payloads often carry credentials (a webhook token, a database password); a
worker that prints or logs them would copy the secret into log storage. The
match is on the key name, case-insensitive and ignoring ``-`` and ``_``, so
``apiKey``, ``API-KEY`` and ``api_key`` are all caught.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["MASK", "is_secret_key", "redact"]

MASK: Final = "***"

# A normalised key containing one of these is secret.
_SECRET_PARTS: Final = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "credential",
    "privatekey",
    "accesskey",
    "cookie",
    "signature",
    "sessionid",
)
# Too short to match as a part ("author", "passage"), so only matched whole.
_SECRET_NAMES: Final = frozenset({"auth", "pwd", "pass", "key", "pin", "otp"})


def is_secret_key(name: str) -> bool:
    """True when a mapping key's name suggests its value is a secret."""
    norm = name.lower().replace("_", "").replace("-", "")
    return norm in _SECRET_NAMES or any(part in norm for part in _SECRET_PARTS)


def redact(value: Any) -> Any:
    """A copy of `value` with the values of secret-looking keys replaced by MASK.

    Lists and nested objects are walked; everything else is returned as is.
    """
    if isinstance(value, dict):
        return {
            k: (MASK if isinstance(k, str) and is_secret_key(k) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value
