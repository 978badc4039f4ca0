"""Server configuration: one frozen value built at start-up and passed down."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from intent_bus import protocol


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server may be told; defaults give a working local server."""

    db_url: str = "sqlite:///intent-bus.db"
    host: str = "127.0.0.1"
    port: int = 8000
    claim_timeout: int = protocol.DEFAULT_CLAIM_TIMEOUT
    rate_limit: int = 0
    """Requests per minute per tenant key; 0 turns rate limiting off."""
    require_signatures: bool = False
    admin_key: str | None = None
    """From INTENT_BUS_ADMIN_KEY; when None the store's generated admin key is used."""
    retention_seconds: float = 7 * 24 * 3600.0
    """How long fulfilled and dead intents are kept after completion."""
    idempotency_seconds: float = 25 * 3600.0
    poll_interval: float = 5.0
    """The largest Retry-After suggested to a worker that found no work."""
    max_lease_seconds: int = protocol.MAX_LEASE_SECONDS
    kv_max_ttl: int = protocol.KV_MAX_TTL
    max_body_bytes: int = protocol.MAX_BODY_BYTES
    max_json_depth: int = protocol.MAX_JSON_DEPTH
    signature_window: int = protocol.SIGNATURE_WINDOW_SECONDS
    housekeeping_interval: float = 1.0
    """How often expired leases are reaped."""
    purge_interval: float = 60.0
    """How often expired KV, nonces, idempotency records and old intents go."""
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    request_timeout: float = protocol.REQUEST_TIMEOUT_SECONDS
    """Seconds a request's head, and then its body, may take to arrive (408)."""
    max_connections: int = protocol.DEFAULT_MAX_CONNECTIONS
    """Open connections per process; idle long-polling workers count too."""
    kek: str | None = None
    """From INTENT_BUS_KEK: the key-encryption key of API keys at rest."""
    kek_file: str | None = None
    """--kek-file or INTENT_BUS_KEK_FILE; default `<db file>.kek` for SQLite."""
    metrics_key: str | None = None
    """From --metrics-key or INTENT_BUS_METRICS_KEY: shows /metrics per namespace."""
    access_log: bool = False
    """One log line per request (uvicorn's access log), for `--access-log`."""


def sqlite_path(db_url: str) -> Path | None:
    """The file of an ``sqlite:///PATH`` URL; None for memory or other backends."""
    if not db_url.startswith("sqlite:///"):
        return None
    path = db_url[len("sqlite:///") :].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None
