"""Every operation of a live server's /openapi.json, with inputs to call it.

The matrices iterate over this, so an endpoint added to the route table is
covered without touching the tests. `World` holds one tenant's objects (an
open intent, a claimed one with its token, a KV entry, a key id) that path
parameters and bodies point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from intent_bus import protocol
from tests.harness import ServerHandle


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]
    components: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def secured(self) -> bool:
        return bool(self.spec.get("security"))

    @property
    def admin_only(self) -> bool:
        return "admin" in self.spec.get("tags", ())

    @property
    def path_names(self) -> list[str]:
        return [p["name"] for p in self.parameters("path")]

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", ()) if p["in"] == where]

    def body_schema(self) -> dict[str, Any] | None:
        body = self.spec.get("requestBody")
        if body is None:
            return None
        ref = body["content"]["application/json"]["schema"]["$ref"]
        schema: dict[str, Any] = self.components[ref.rsplit("/", 1)[-1]]
        return schema


def operations(server: ServerHandle) -> list[Operation]:
    document = httpx.get(f"{server.url}/openapi.json").json()
    components = document["components"]["schemas"]
    return [
        Operation(method.upper(), path, spec, components)
        for path, item in document["paths"].items()
        for method, spec in item.items()
    ]


@dataclass
class World:
    """One tenant's objects, for the other callers to reach for."""

    key: str
    intent_open: str
    intent_claimed: str
    claim_token: str
    kv_key: str
    key_id: str

    def path_value(self, name: str) -> str:
        values = {
            "intent_id": self.intent_claimed,
            "key": self.kv_key,
            "key_id": self.key_id,
        }
        return values.get(name, "x")

    def url(self, operation: Operation, **override: str) -> str:
        path = operation.path
        for name in operation.path_names:
            value = override.get(name, quote(self.path_value(name), safe=""))
            path = path.replace("{" + name + "}", value)
        return path

    def body(self, operation: Operation) -> dict[str, Any] | None:
        """The smallest body the schema accepts: its required fields only."""
        schema = operation.body_schema()
        if schema is None:
            return None
        body: dict[str, Any] = {}
        for name in schema.get("required", ()):
            kind = schema["properties"][name].get("type")
            if name == "claim_token":
                body[name] = self.claim_token
            elif kind == "string":
                body[name] = "matrix"
            else:
                body[name] = 1
        return body


def make_world(server: ServerHandle) -> World:
    """A tenant with an open and a claimed private intent, a KV entry and a key."""
    created = httpx.post(
        f"{server.url}/admin/keys",
        json={"owner": "alice-matrix"},
        headers={protocol.HEADER_API_KEY: server.admin_key},
    )
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    key_id = created.json()["id"]
    with httpx.Client(
        base_url=server.url, headers={protocol.HEADER_API_KEY: key}
    ) as alice:
        claimed = alice.post("/intent", json={"goal": "claimed", "namespace": "m"})
        assert claimed.status_code == 201, claimed.text
        lease = alice.post("/claim", params={"namespace": "m"})
        assert lease.status_code == 200, lease.text
        opened = alice.post("/intent", json={"goal": "open", "namespace": "m"})
        assert opened.status_code == 201, opened.text
        kv_key = "alice-secret"
        stored = alice.post(f"/set/{kv_key}", json={"value": "alice-value"})
        assert stored.status_code == 200, stored.text
    return World(
        key=key,
        intent_open=opened.json()["id"],
        intent_claimed=claimed.json()["id"],
        claim_token=lease.json()["claim_token"],
        kv_key=kv_key,
        key_id=key_id,
    )
