"""GET /intents (search with a cursor) and GET /intents/{id} over real HTTP:
filters, paging, bad input answered 400 in the envelope, tenant isolation."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def _shown(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The fields an intent's view carries until a worker reports progress."""
    return tuple(name for name in fields if name != "progress")


def _pages(api: Api, query: str) -> list[list[dict[str, Any]]]:
    pages = []
    url = f"/intents?{query}"
    while True:
        response = api.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["intents"])
        if body["next_cursor"] is None:
            return pages
        url = f"/intents?{query}&cursor={body['next_cursor']}"


def test_search_pages_newest_first_and_rows_carry_the_contract_fields(
    tenant: Api,
) -> None:
    sent = [tenant.publish(goal="resize")["id"] for _ in range(5)]

    pages = _pages(tenant, "limit=2")

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [row["id"] for page in pages for row in page] == sent[::-1]
    row = pages[0][0]
    assert tuple(row) == _shown(protocol.INTENT_ROW_FIELDS)
    assert row["worker"] is None and row["cancel_requested"] is False


def test_search_filters_by_status_goal_worker_error_and_id(tenant: Api) -> None:
    first = tenant.publish(goal="email", max_attempts=2)
    second = tenant.publish(goal="email")
    other = tenant.publish(goal="resize")
    lease = tenant.claim_ok("goal=email", **{"X-Worker-ID": "w-7"})
    assert lease["id"] == first["id"]
    tenant.post(
        f"/fail/{first['id']}",
        {"claim_token": lease["claim_token"], "error": "SMTP Timeout"},
    )

    def ids(query: str) -> set[str]:
        response = tenant.get(f"/intents?{query}")
        assert response.status_code == 200, response.text
        return {row["id"] for row in response.json()["intents"]}

    assert ids("goal=email") == {first["id"], second["id"]}
    assert ids("worker=w-7") == {first["id"]}
    assert ids("error=timeout") == {first["id"]}
    assert ids(f"id={other['id'][:12]}") == {other["id"]}
    assert ids("status=open&status=claimed") == {
        first["id"],
        second["id"],
        other["id"],
    }
    assert ids("status=dead") == set()
    assert ids("goal=&namespace=") == {first["id"], second["id"], other["id"]}


@pytest.mark.parametrize(
    "query",
    [
        "status=finished",
        "limit=0",
        f"limit={protocol.INTENT_LIST_MAX + 1}",
        "limit=ten",
        "cursor=garbage!",
        "cursor=" + base64.urlsafe_b64encode(b"v1:abc").decode(),
        "cursor=" + base64.urlsafe_b64encode(b"v2:12").decode(),
        "cursor=v1.",
        "cursor=v1.-5",
        "cursor=v1." + "9" * 19,
    ],
)
def test_bad_search_input_is_400_invalid_request(tenant: Api, query: str) -> None:
    response = tenant.get(f"/intents?{query}")
    assert response.status_code == 400, response.text
    assert error_code(response) == "invalid_request"


def test_a_tenant_naming_an_owner_is_403_forbidden(tenant: Api) -> None:
    response = tenant.get("/intents?owner=someone")
    assert response.status_code == 403, response.text
    assert error_code(response) == "forbidden"


def test_any_cursor_of_the_documented_form_is_a_position(tenant: Api) -> None:
    # The schema's pattern alone decides what a cursor is (no server secret).
    response = tenant.get("/intents?cursor=v1." + "9" * 18)
    assert response.status_code == 200, response.text


def test_tenants_see_only_their_own_and_the_admin_sees_all(
    server: ServerHandle, clients: Callable[..., Api], admin: Api
) -> None:
    alice = clients(server, server.create_tenant("alice"))
    bob = clients(server, server.create_tenant("bob"))
    mine = alice.publish(payload={"secret": 1})
    theirs = bob.publish()

    listed = alice.get("/intents").json()["intents"]
    assert [row["id"] for row in listed] == [mine["id"]]
    assert alice.get(f"/intents?id={theirs['id']}").json()["intents"] == []
    assert alice.get(f"/intents/{theirs['id']}").status_code == 404
    assert error_code(alice.get(f"/intents/{theirs['id']}")) == "not_found"

    everyone = admin.get("/intents").json()["intents"]
    assert {row["id"] for row in everyone} >= {mine["id"], theirs["id"]}
    only_bob = admin.get("/intents?owner=bob").json()["intents"]
    assert [(row["id"], row["owner"]) for row in only_bob] == [(theirs["id"], "bob")]
    assert admin.get(f"/intents/{mine['id']}").json()["payload"] == {"secret": 1}


def test_intent_detail_has_payload_result_and_result_type(tenant: Api) -> None:
    job = tenant.publish(payload={"image": "cat.png"})
    lease = tenant.claim_ok(**{"X-Worker-ID": "w-1"})
    before = tenant.get(f"/intents/{job['id']}").json()
    tenant.post(
        f"/fulfill/{job['id']}",
        {"claim_token": lease["claim_token"], "result": {"ok": True}},
    )

    after = tenant.get(f"/intents/{job['id']}")

    assert after.status_code == 200
    body = after.json()
    assert tuple(body) == _shown(protocol.INTENT_DETAIL_FIELDS)
    assert body["payload"] == {"image": "cat.png"}
    assert body["result"] == {"ok": True} and body["result_type"] == "json"
    assert body["worker"] == "w-1" and body["status"] == "fulfilled"
    assert before["status"] == "claimed" and before["result"] is None
    assert body["concurrency_key"] is None
    assert tenant.get("/intents/nope").status_code == 404


def test_intent_detail_shows_the_concurrency_key_and_status_does_not(
    tenant: Api,
) -> None:
    job = tenant.publish(concurrency_key="customer-42")
    [batch] = tenant.post(
        "/intents", {"intents": [{"goal": "g", "concurrency_key": "c-7"}]}
    ).json()["results"]

    detail = tenant.get(f"/intents/{job['id']}").json()

    assert detail["concurrency_key"] == "customer-42"
    assert tenant.get(f"/intents/{batch['id']}").json()["concurrency_key"] == "c-7"
    # The published v2.1 answers stay as they were: the key is the detail's.
    assert "concurrency_key" not in tenant.get(f"/status/{job['id']}").json()
    (row,) = tenant.get(f"/intents?id={job['id']}").json()["intents"]
    assert "concurrency_key" not in row
