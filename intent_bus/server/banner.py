"""The few lines `intent-bus server` prints before serving: where the data
lives, the URL, and what to do next with the admin key.

On stdout, not in the log: the generated key is shown there once, and logs are
often shipped elsewhere.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from intent_bus import protocol
from intent_bus._version import __version__
from intent_bus.server.bootstrap import AdminBootstrap
from intent_bus.server.settings import Settings
from intent_bus.server.startup import database_label

__all__ = ["banner_document", "banner_lines", "show"]


def server_url(settings: Settings) -> str:
    scheme = "https" if settings.ssl_certfile else "http"
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{scheme}://{host}:{settings.port}"


def banner_document(settings: Settings, admin: AdminBootstrap) -> dict[str, Any]:
    """The banner's facts, for `--json`."""
    document: dict[str, Any] = {
        "version": __version__,
        "url": server_url(settings),
        "database": database_label(settings.db_url),
        "admin_key_id": admin.key.id,
        "admin_key_created": admin.created,
        "admin_key_from_env": admin.configured,
        "revoked_admin_key_ids": [key.id for key in admin.revoked],
    }
    if admin.created:
        document["admin_key"] = admin.key.secret
    return document


def banner_lines(settings: Settings, admin: AdminBootstrap) -> list[str]:
    env = protocol.ENV_ADMIN_KEY
    lines = [
        f"Intent Bus {__version__} (Intent Protocol v2.1)",
        f"  url:       {server_url(settings)}",
        f"  data:      {database_label(settings.db_url)}",
    ]
    if admin.created:
        secret = admin.key.secret
        lines += [
            f"  admin key: {secret}",
            "             (shown only this once: store it safely)",
            f"  next:      export {env}={secret}; intent-bus keys create alice",
        ]
    elif admin.configured:
        lines.append(f"  admin key: from ${env} (id {admin.key.id})")
        lines += [
            f"  revoked the previous admin key {key.id}: ${env} replaces it"
            for key in admin.revoked
        ]
    else:
        lines += [
            f"  admin key: exists (id {admin.key.id}; shown at the first start)",
            f"             to replace it, start with {env}=<new secret>",
        ]
    return lines


def show(settings: Settings, admin: AdminBootstrap, *, as_json: bool = False) -> None:
    if as_json:
        text = json.dumps(banner_document(settings, admin))
    else:
        text = "\n".join(banner_lines(settings, admin))
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
