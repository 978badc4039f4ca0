"""POST /claim over HTTP: eligibility, order, delays, hints and long-poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from intent_bus import protocol
from tests.harness import ServerHandle
from tests.server.api import Api, error_code


def test_claim_returns_the_lease_fields(tenant: Api) -> None:
    published = tenant.publish("encode", payload={"f": "a.mp4"}, priority=7)
    claimed = tenant.claim_ok()
    assert claimed["id"] == published["id"]
    assert claimed["payload"] == {"f": "a.mp4"}
    assert claimed["goal"] == "encode" and claimed["namespace"] == "default"
    assert claimed["claim_attempts"] == 1 and claimed["priority"] == 7
    assert claimed["claim_timeout"] == 60 and claimed["max_attempts"] == 3
    assert len(claimed["claim_token"]) >= 32
    assert claimed["lease_expires_at"] == pytest.approx(time.time() + 60, abs=5)
    status = tenant.get(f"/status/{published['id']}").json()
    assert status["status"] == "claimed"
    assert status["lease_expires_at"] == pytest.approx(claimed["lease_expires_at"])


def test_claim_tokens_are_fresh_per_claim(tenant: Api) -> None:
    tenant.publish()
    tenant.publish()
    assert tenant.claim_ok()["claim_token"] != tenant.claim_ok()["claim_token"]


def test_empty_claim_is_204_with_poll_interval_retry_after(tenant: Api) -> None:
    response = tenant.claim()
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["Retry-After"] == "5"


def test_bodiless_post_with_json_content_type_works(tenant: Api) -> None:
    tenant.publish()
    response = tenant.http.post(
        "/claim", headers={"X-API-KEY": tenant.key, "Content-Type": "application/json"}
    )
    assert response.status_code == 200


def test_priority_then_fifo_order(tenant: Api) -> None:
    low = tenant.publish(priority=1)["id"]
    first = tenant.publish(priority=500)["id"]
    second = tenant.publish(priority=500)["id"]
    middle = tenant.publish()["id"]
    order = [tenant.claim_ok()["id"] for _ in range(4)]
    assert order == [first, second, middle, low]


def test_delayed_intent_waits_and_retry_after_points_at_it(tenant: Api) -> None:
    tenant.publish(delay=2.2)
    empty = tenant.claim()
    assert empty.status_code == 204
    assert empty.headers["Retry-After"] in ("2", "3")
    deadline = time.monotonic() + 10
    while tenant.claim().status_code == 204:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_retry_after_is_capped_by_the_poll_interval(tenant: Api) -> None:
    tenant.publish(delay=3600)
    assert tenant.claim().headers["Retry-After"] == "5"


def test_goal_filter(tenant: Api) -> None:
    tenant.publish("a")
    wanted = tenant.publish("b")["id"]
    assert tenant.claim_ok("goal=b")["id"] == wanted
    assert tenant.claim("goal=b").status_code == 204


def test_namespaces_isolate_private_intents(tenant: Api) -> None:
    in_media = tenant.publish(namespace="media")["id"]
    assert tenant.claim().status_code == 204
    assert tenant.claim("namespace=other").status_code == 204
    assert tenant.claim_ok("namespace=media")["id"] == in_media


def test_private_intents_are_invisible_to_other_tenants(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    alice, bob = clients(server), clients(server)
    alice.publish()
    assert bob.claim().status_code == 204
    assert alice.claim().status_code == 200


def test_public_intents_are_claimable_by_anyone_in_any_namespace(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    alice, bob = clients(server), clients(server)
    shared = alice.publish(visibility="public", namespace="shared")["id"]
    assert bob.claim_ok("namespace=elsewhere")["id"] == shared


def test_publisher_filter_narrows_to_one_tenant(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    alice = clients(server, server.create_tenant("alice"))
    carol = clients(server, server.create_tenant("carol"))
    bob = clients(server, server.create_tenant("bob"))
    alice.publish(visibility="public")
    from_carol = carol.publish(visibility="public")["id"]
    assert bob.claim_ok("publisher=carol")["id"] == from_carol
    assert bob.claim("publisher=carol").status_code == 204
    assert bob.claim("publisher=nobody").status_code == 204


def test_target_worker_needs_matching_worker_id(tenant: Api) -> None:
    tenant.publish(target_worker="w-1")
    assert tenant.claim().status_code == 204
    assert tenant.claim(**{"X-Worker-ID": "w-2"}).status_code == 204
    assert tenant.claim(**{"X-Worker-ID": "w-1"}).status_code == 200


def test_required_capability_matches_exactly_after_trimming(tenant: Api) -> None:
    tenant.publish(required_capability="gpu")
    caps = "X-Worker-Capabilities"
    assert tenant.claim().status_code == 204
    assert tenant.claim(**{caps: "gpu2, GPU"}).status_code == 204
    assert tenant.claim(**{caps: "cpu, ,  gpu  ,"}).status_code == 200


@pytest.mark.parametrize("wait", ["0", "-1", "31", "abc", "nan", "inf"])
def test_wait_out_of_range_is_400(tenant: Api, wait: str) -> None:
    response = tenant.claim(f"wait={wait}")
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"
    assert "wait" in response.json()["error"]["message"]


def test_long_poll_is_woken_by_a_publish_within_milliseconds(
    server: ServerHandle, clients: Callable[..., Api]
) -> None:
    key = server.create_tenant()
    worker, publisher = clients(server, key), clients(server, key)
    result: dict[str, object] = {}

    def wait_for_work() -> None:
        response = worker.claim("wait=10")
        result["status"] = response.status_code
        result["at"] = time.monotonic()

    thread = threading.Thread(target=wait_for_work)
    thread.start()
    time.sleep(0.5)  # let the claim reach the server and start waiting
    assert thread.is_alive()
    published_at = time.monotonic()
    publisher.publish()
    thread.join(timeout=10)
    assert result["status"] == 200
    assert float(result["at"]) - published_at < 0.9  # type: ignore[arg-type]


def test_long_poll_returns_204_when_the_wait_ends(tenant: Api) -> None:
    started = time.monotonic()
    response = tenant.claim("wait=1")
    elapsed = time.monotonic() - started
    assert response.status_code == 204
    assert 0.9 <= elapsed < 5


def test_long_poll_picks_up_a_delayed_intent_when_due(tenant: Api) -> None:
    tenant.publish(delay=1.5)
    started = time.monotonic()
    response = tenant.claim("wait=10")
    assert response.status_code == 200
    assert 1.0 <= time.monotonic() - started < 5


def test_claim_inputs_are_limited_by_the_protocol(tenant: Api) -> None:
    owner_ok = "p" * protocol.OWNER_MAX_CHARS
    assert tenant.claim(f"publisher={owner_ok}").status_code == 204
    for query in (
        f"publisher={owner_ok}p",
        "publisher=",
        f"goal={'g' * (protocol.GOAL_MAX_CHARS + 1)}",
        "goal=",
        f"namespace={'n' * (protocol.NAMESPACE_MAX_CHARS + 1)}",
        "namespace=",
    ):
        response = tenant.claim(query)
        assert response.status_code == 400, query
        assert error_code(response) == "invalid_request"
        assert query.split("=")[0] in response.json()["error"]["message"]
    too_long = "w" * (protocol.WORKER_ID_MAX_CHARS + 1)
    refused = tenant.claim(**{"X-Worker-ID": too_long})
    assert refused.status_code == 400
    assert "X-Worker-ID" in refused.json()["error"]["message"]


def test_wait_at_the_protocol_maximum_is_accepted(tenant: Api) -> None:
    tenant.publish("ready")
    response = tenant.claim(f"goal=ready&wait={protocol.MAX_WAIT_SECONDS:g}")
    assert response.status_code == 200
