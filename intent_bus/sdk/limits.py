"""Concurrency limits (``/limits``): the typed model and the pure calls.

The same contract as ``calls``: each builder checks its arguments against the
protocol, describes the request and says how to read the answer and whether it
may be repeated; both clients only send. ``owner`` is for admin keys (whose
tenant's limit); a tenant key leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

import httpx

from intent_bus import protocol
from intent_bus.sdk import args
from intent_bus.sdk.call import Call
from intent_bus.sdk.models import Spec, fields_of
from intent_bus.sdk.replies import expect, list_field, read_json
from intent_bus.sdk.strict_json import dumps_bytes

__all__ = ["ConcurrencyLimit", "delete_limit", "limits", "set_limit"]

_LIMIT_SPEC: Final[Spec] = (
    ("namespace", "str", True),
    ("goal", "str", True),
    ("owner", "opt_str", False),
    ("max_running", "int", True),
    ("max_per_key", "opt_int", False),
    ("running", "int", False),
    ("updated_at", "opt_num", False),
)


def _extra() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ConcurrencyLimit:
    """A concurrency limit (``set_limit``, ``limits``): at most
    ``max_running`` of the tenant's intents of ``namespace`` and ``goal`` are
    claimed at once on every replica, and at most ``max_per_key`` of them share
    a ``concurrency_key`` (None: no per-key cap). ``running``: claimed now."""

    namespace: str
    goal: str
    max_running: int
    owner: str | None = None
    max_per_key: int | None = None
    running: int = 0
    updated_at: float | None = None
    extra: Mapping[str, Any] = field(default_factory=_extra, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> ConcurrencyLimit:
        return cls(**fields_of("limit", _LIMIT_SPEC, data))


def _owner(owner: Any) -> tuple[tuple[str, str], ...]:
    if owner is None:
        return ()
    return (("owner", args.text("owner", owner, protocol.OWNER_MAX_CHARS)),)


def _group(namespace: Any, goal: Any) -> dict[str, str]:
    return {
        "namespace": args.text("namespace", namespace, protocol.NAMESPACE_MAX_CHARS),
        "goal": args.text("goal", goal, protocol.GOAL_MAX_CHARS),
    }


def set_limit(
    namespace: Any,
    goal: Any,
    max_running: Any,
    max_per_key: Any = None,
    owner: Any = None,
) -> Call[ConcurrencyLimit]:
    """PUT /limits; sets the whole limit, so repeating it changes nothing."""
    body: dict[str, Any] = {
        **_group(namespace, goal),
        "max_running": args.integer(
            "max_running", max_running, 1, protocol.LIMIT_MAX_RUNNING
        ),
    }
    if max_per_key is not None:
        body["max_per_key"] = args.integer(
            "max_per_key", max_per_key, 1, protocol.LIMIT_MAX_RUNNING
        )
    if owner is not None:
        body["owner"] = args.text("owner", owner, protocol.OWNER_MAX_CHARS)
    return Call("PUT", "/limits", _parse_limit, body=dumps_bytes(body))


def _parse_limit(response: httpx.Response, uncertain: bool) -> ConcurrencyLimit:
    expect(response, 200)
    return ConcurrencyLimit.from_json(read_json(response))


def limits(owner: Any = None) -> Call[list[ConcurrencyLimit]]:
    """GET /limits: the tenant's limits (an admin's: everyone's)."""
    return Call("GET", "/limits", _parse_list, params=_owner(owner))


def _parse_list(response: httpx.Response, uncertain: bool) -> list[ConcurrencyLimit]:
    expect(response, 200)
    return [
        ConcurrencyLimit.from_json(item)
        for item in list_field(response, "limits", "limit list")
    ]


def delete_limit(namespace: Any, goal: Any, owner: Any = None) -> Call[None]:
    """DELETE /limits. Repeated after a lost answer, the 404 of the repeat
    means the first attempt deleted it, so it counts as success."""
    params = tuple(_group(namespace, goal).items()) + _owner(owner)
    return Call("DELETE", "/limits", _parse_deleted, params=params)


def _parse_deleted(response: httpx.Response, uncertain: bool) -> None:
    if response.status_code == 404 and uncertain:
        return
    expect(response, 200)
