"""Typed views of the admin API's answers (keys, queue statistics).

Validated like ``models`` (``IntentBusProtocolError`` naming the first wrong
field), but each is also the very dict of the server's JSON that earlier
releases returned, so ``key.owner`` and ``key["owner"]`` are the same value
and code written against the dicts (indexing, ``==``, ``json.dumps``) keeps
working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from intent_bus.sdk.models import Spec, fields_of

__all__ = ["ApiKey", "CreatedKey", "QueueStats"]

_KEY_SPEC: Final[Spec] = (
    ("id", "str", True),
    ("owner", "str", True),
    ("role", "str", True),
    ("created_at", "opt_num", False),
    ("revoked_at", "opt_num", False),
)


class ApiKey(dict[str, Any]):
    """One API key as ``list_keys`` and ``revoke_key`` show it (never its
    secret): ``role`` is ``tenant`` or ``admin``, ``revoked_at`` None while it
    works. Times are Unix seconds."""

    __slots__ = ()

    @classmethod
    def from_json(cls, data: Any) -> ApiKey:
        fields_of("key", _KEY_SPEC, data)
        return cls(data)

    @property
    def id(self) -> str:
        return str(self["id"])

    @property
    def owner(self) -> str:
        return str(self["owner"])

    @property
    def role(self) -> str:
        return str(self["role"])

    @property
    def created_at(self) -> float | None:
        return _seconds(self.get("created_at"))

    @property
    def revoked_at(self) -> float | None:
        return _seconds(self.get("revoked_at"))


class CreatedKey(ApiKey):
    """A key just made by ``create_key``, with its secret ``api_key``: the
    only time the server shows it."""

    __slots__ = ()

    @classmethod
    def from_json(cls, data: Any) -> CreatedKey:
        fields_of("key creation reply", (*_KEY_SPEC, ("api_key", "str", True)), data)
        return cls(data)

    @property
    def api_key(self) -> str:
        return str(self["api_key"])


_STATS_SPEC: Final[Spec] = (
    ("by_status", "object", True),
    ("by_namespace", "object", True),
    ("oldest_open_created_at", "opt_num", False),
)


class QueueStats(dict[str, Any]):
    """``queue_stats``: intents of every tenant by status, by namespace then
    status, and when the oldest open one was created (None when none is)."""

    __slots__ = ()

    @classmethod
    def from_json(cls, data: Any) -> QueueStats:
        fields_of("queue stats", _STATS_SPEC, data)
        return cls(data)

    @property
    def by_status(self) -> Mapping[str, int]:
        by_status: Mapping[str, int] = self["by_status"]
        return by_status

    @property
    def by_namespace(self) -> Mapping[str, Mapping[str, int]]:
        by_namespace: Mapping[str, Mapping[str, int]] = self["by_namespace"]
        return by_namespace

    @property
    def oldest_open_created_at(self) -> float | None:
        return _seconds(self.get("oldest_open_created_at"))


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)
