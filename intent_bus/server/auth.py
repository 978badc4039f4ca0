"""Who is calling: API-key lookup (cached briefly) and strict-mode HMAC checks.

Standard mode trusts `X-API-KEY` alone. Strict mode (an `X-Signature` header,
or every request under `--require-signatures`) also proves possession of the key
over the exact request, within a timestamp window, with a nonce that may be
used once. Signing uses `intent_bus.protocol`, the same code the SDK signs with.
Secrets are never logged or echoed.
"""

from __future__ import annotations

import time
from typing import Any, Final
from urllib.parse import parse_qsl

from intent_bus import protocol
from intent_bus.protocol import ErrorCode
from intent_bus.server.errors import ApiError
from intent_bus.server.settings import Settings
from intent_bus.storage import replay
from intent_bus.storage.base import ApiKey, Store

CACHE_SECONDS = 2.0
"""How long a key lookup is trusted; a revoke in this process acts at once,
one in another replica within this time."""
CACHE_MAX_ENTRIES = 10_000
NONCE_MAX_CHARS = 256

_API_KEY = protocol.HEADER_API_KEY.lower().encode()
_SIGNATURE = protocol.HEADER_SIGNATURE.lower().encode()
_TIMESTAMP = protocol.HEADER_TIMESTAMP.lower().encode()
_NONCE = protocol.HEADER_NONCE.lower().encode()


def unauthorized(message: str) -> ApiError:
    return ApiError(401, ErrorCode.UNAUTHORIZED, message)


def invalid_signature(message: str) -> ApiError:
    return ApiError(403, ErrorCode.INVALID_SIGNATURE, message)


def nonce_used() -> ApiError:
    return invalid_signature("nonce already used")


class KeyCache:
    """Secret -> key, for a short time, so most requests skip the database.

    Unknown secrets are remembered too (in their own bounded table, so a flood
    of made-up keys can neither evict real ones nor cost a lookup each time it
    repeats): a key created on another replica works here within `seconds`.
    """

    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self._seconds = seconds
        self._entries: dict[str, tuple[ApiKey, float]] = {}
        self._misses: dict[str, float] = {}

    def missed(self, secret: str, now: float) -> bool:
        """Whether `secret` was looked up and unknown less than `seconds` ago."""
        until = self._misses.get(secret)
        if until is None:
            return False
        if until <= now:
            del self._misses[secret]
            return False
        return True

    def put_miss(self, secret: str, now: float) -> None:
        if len(self._misses) >= CACHE_MAX_ENTRIES:
            self._misses.clear()
        self._misses[secret] = now + self._seconds

    def get(self, secret: str, now: float) -> ApiKey | None:
        entry = self._entries.get(secret)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._entries[secret]
            return None
        return entry[0]

    def put(self, key: ApiKey, now: float) -> None:
        if len(self._entries) >= CACHE_MAX_ENTRIES:
            self._entries.clear()
        self._entries[key.secret] = (key, now + self._seconds)

    def invalidate(self, key_id: str) -> None:
        for secret, (key, _) in list(self._entries.items()):
            if key.id == key_id:
                del self._entries[secret]


_PATHS: dict[tuple[bytes | None, str, bytes], tuple[str, ...]] = {}
"""Canonical paths by request target: a worker polls the same claim URL over
and over, and canonicalising its query costs more than checking the HMAC."""
PATHS_MAX_ENTRIES: Final = 4096


def request_paths(scope: dict[str, Any]) -> tuple[str, ...]:
    """Canonical paths the client may have signed: the path as sent on the wire
    (percent-encoding intact) first, then the decoded path if it differs."""
    path: str = scope["path"]
    raw: bytes | None = scope.get("raw_path")
    query_string: bytes = scope.get("query_string", b"")
    if not query_string:  # most targets (/fulfill/<id>: each its own) need no cache
        if not raw:
            return (path,)
        wire = raw.decode("latin-1")
        return (path,) if wire == path else (wire, path)
    target = (raw, path, query_string)
    found = _PATHS.get(target)
    if found is None:
        found = _canonical_paths(raw, path, query_string)
        if len(_PATHS) >= PATHS_MAX_ENTRIES:
            _PATHS.clear()
        _PATHS[target] = found
    return found


def _canonical_paths(
    raw: bytes | None, path: str, query_string: bytes
) -> tuple[str, ...]:
    query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    decoded = protocol.canonical_path(path, query)
    if not raw:
        return (decoded,)
    wire = raw.decode("latin-1")
    if wire == path:
        return (decoded,)
    first = protocol.canonical_path(wire, query)
    return (first,) if first == decoded else (first, decoded)


def parse_timestamp(text: str) -> int | None:
    """Unix seconds written as plain ASCII digits, or None.

    Anything looser (`nan`, `inf`, `1e9`, `+5`, padding, fractions) is refused:
    a timestamp that compares oddly with the window would let a request outlive
    the nonces that guard it against replay.
    """
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text)


class Authenticator:
    """Turns a request's headers into the calling `ApiKey`, or raises ApiError."""

    def __init__(self, store: Store, settings: Settings, cache: KeyCache) -> None:
        self._store = store
        self._settings = settings
        self.cache = cache
        self._macs: dict[str, protocol.Mac] = {}

    async def lookup(self, secret: str) -> ApiKey | None:
        """The live key with that secret; revoked and unknown keys are None."""
        mono = time.monotonic()
        key = self.cache.get(secret, mono)
        if key is None:
            if self.cache.missed(secret, mono):
                return None
            key = await self._store.key_get(secret)
            if key is None:
                self.cache.put_miss(secret, mono)
                return None
            self.cache.put(key, mono)
        return key if key.revoked_at is None else None

    async def authenticate(
        self,
        scope: dict[str, Any],
        headers: dict[bytes, bytes],
        body: bytes,
        now: float,
    ) -> ApiKey:
        raw_key = headers.get(_API_KEY)
        if not raw_key:
            raise unauthorized("missing X-API-KEY header")
        key = await self.lookup(raw_key.decode("latin-1").strip())
        if key is None:
            raise unauthorized("unknown or revoked API key")
        signature = headers.get(_SIGNATURE)
        if signature is None:
            if self._settings.require_signatures:
                raise unauthorized("this server requires signed requests")
            return key
        await self._verify(key, scope, headers, signature.decode("latin-1"), body, now)
        return key

    async def _verify(
        self,
        key: ApiKey,
        scope: dict[str, Any],
        headers: dict[bytes, bytes],
        signature: str,
        body: bytes,
        now: float,
    ) -> None:
        timestamp = headers.get(_TIMESTAMP, b"").decode("latin-1")
        nonce = headers.get(_NONCE, b"").decode("latin-1")
        if not timestamp or not nonce:
            raise invalid_signature("signed requests need X-Timestamp and X-Nonce")
        if len(nonce) > NONCE_MAX_CHARS:
            raise invalid_signature("X-Nonce is too long")
        sent_at = parse_timestamp(timestamp)
        if sent_at is None:
            raise invalid_signature(
                "X-Timestamp must be whole Unix seconds (digits only)"
            )
        if abs(now - sent_at) > self._settings.signature_window:
            raise invalid_signature("X-Timestamp is outside the allowed window")
        method: str = scope["method"]
        keyed = self._macs.get(key.secret)
        if keyed is None:
            if len(self._macs) >= CACHE_MAX_ENTRIES:
                self._macs.clear()
            keyed = self._macs[key.secret] = protocol.keyed_mac(key.secret)
        for path in request_paths(scope):
            mac = keyed.copy()
            mac.update(protocol.signing_bytes(method, path, timestamp, nonce, body))
            if protocol.signature_matches(mac.hexdigest(), signature):
                break
        else:
            raise invalid_signature("signature does not match the request")
        if self._store.defers_nonces:  # recorded with the request's first write
            replay.defer(key.id, nonce, now)
        elif not await self._store.nonce_remember(key.id, nonce, now):
            raise nonce_used()

    async def settle_nonce(self) -> None:
        """Records the request's nonce if no store operation of it did; raises
        if it was used meanwhile. Call before answering a signed request."""
        pending = replay.take_pending()
        if pending is None:
            return
        try:
            fresh = await self._store.nonce_remember(
                pending.key_id, pending.nonce, pending.now
            )
        except BaseException:
            pending.release()
            raise
        if not fresh:
            raise nonce_used()
