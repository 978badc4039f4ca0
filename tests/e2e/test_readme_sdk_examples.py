"""The seed README's SDK examples, run as written against a live server.

The code blocks are copied verbatim (the README's web rendering lost their
indentation, restored here); only ``do_heavy_work`` is defined and
``"intent_id_here"`` replaced by a real id. The server's URL and key come from
the environment, as the README tells users to configure them.
"""

from __future__ import annotations

import ast
from typing import Any

import pytest

from tests.harness import ServerHandle

PUBLISH = """
from intent_bus import IntentClient

with IntentClient() as client:
    # Intents have strict namespace-scoped isolation by default
    job = client.publish(
        goal="process_image",
        payload={"url": "s3://bucket/image1.png"},
        namespace="media",
        priority=100
    )
    print(f"Published Job ID: {job.id}")
"""

TARGETED_ROUTING = """
client.publish(
    goal="train_model",
    payload={"epochs": 50},
    namespace="ml",
    priority=999,                     # 0 to 1000 (Highest)
    delay=3600.0,                     # Delay execution by 1 hour
    required_capability="a100_gpu",   # Only workers with this cap can claim
    target_worker="node-alpha-01",    # Strict single-node targeting
    max_attempts=5                    # Allow 5 retry attempts if workers crash
)
"""

SHARED_STATE = """
# Set a configuration that expires in 1 hour (3600s)
client.set("model_weights_version", {"v": "2.4.1", "path": "/models/v2"}, ttl=3600)

# Retrieve it from another worker
config = client.get("model_weights_version")
print(config["path"])
"""

MANUAL_LIFECYCLE = """
job = client.claim(goal="encode", namespace="media")

if job:
    # 1. Need more time? Extend the server lease
    client.extend_claim(job.id, seconds=300)

    try:
        do_heavy_work(job.payload)

        # 2. Mark successful
        client.fulfill(job.id, result="Done", result_type="text")

    except Exception as e:
        # 3. Explicitly fail the job (re-queues the intent if server retry attempts remain)
        client.fail(job.id, error=str(e))
"""  # noqa: E501 (the README's own comment line)

RETRIEVING_RESULTS = """
status = client.get_status("intent_id_here")
print(status.status) # 'open', 'claimed', 'fulfilled', 'dead'

if status.status == 'fulfilled':
    result = client.get_result("intent_id_here")
    print(result.result) # The output payload from the worker
    print(result.completed_at)
"""


@pytest.fixture
def env(
    sqlite_server: ServerHandle, tenant_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTENT_BUS_URL", sqlite_server.url)
    monkeypatch.setenv("INTENT_API_KEY", tenant_key)


@pytest.fixture
def client(env: None) -> Any:
    from intent_bus import IntentClient

    with IntentClient() as client:
        yield client


def test_publish(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    scope: dict[str, Any] = {}
    exec(PUBLISH, scope)
    job = scope["job"]
    assert capsys.readouterr().out == f"Published Job ID: {job.id}\n"
    assert job.status == "open" and job.namespace == "media"


def test_targeted_routing(client: Any) -> None:
    exec(TARGETED_ROUTING, {"client": client})
    # Delayed an hour and pinned to one node with one capability.
    assert not client.claim(namespace="ml", worker_id="node-alpha-01")


def test_shared_state(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    exec(SHARED_STATE, {"client": client})
    assert capsys.readouterr().out == "/models/v2\n"


def test_manual_lifecycle_success_and_failure(client: Any) -> None:
    done = client.publish("encode", {"file": "ok.mp4"}, namespace="media", priority=2)
    broken = client.publish(
        "encode", {"file": "bad.mp4"}, namespace="media", priority=1
    )
    seen = []

    def do_heavy_work(payload: Any) -> None:
        seen.append(payload)
        if payload["file"] == "bad.mp4":
            raise RuntimeError("corrupt input")

    for _ in range(2):
        exec(MANUAL_LIFECYCLE, {"client": client, "do_heavy_work": do_heavy_work})
    assert seen == [{"file": "ok.mp4"}, {"file": "bad.mp4"}]
    result = client.get_result(done.id)
    assert (result.result, result.result_type) == ("Done", "text")
    failed = client.get_status(broken.id)
    assert (failed.status, failed.error) == ("open", "corrupt input")
    # Nothing claimed: the block does nothing.
    exec(MANUAL_LIFECYCLE, {"client": client, "do_heavy_work": do_heavy_work})
    assert len(seen) == 2


def test_retrieving_results(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    job = client.publish("g", {}, namespace="results")
    claimed = client.claim(namespace="results")
    client.fulfill(claimed.id, result={"status": "success", "file": "out.png"})
    code = RETRIEVING_RESULTS.replace('"intent_id_here"', repr(job.id))
    exec(code, {"client": client})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "fulfilled"
    assert ast.literal_eval(lines[1]) == {"status": "success", "file": "out.png"}
    assert float(lines[2]) > 0


def test_retrieving_results_of_open_intent(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    job = client.publish("g", {}, namespace="results")
    exec(
        RETRIEVING_RESULTS.replace('"intent_id_here"', repr(job.id)), {"client": client}
    )
    assert capsys.readouterr().out == "open\n"


def test_v1_style_fulfill_is_a_type_error(client: Any) -> None:
    client.publish("g", {}, namespace="v1")
    job = client.claim(namespace="v1")
    with pytest.raises(TypeError):
        client.fulfill(job.id, **{"status": "done"})
    client.fulfill(job.id, result={"status": "done"})
    assert job.payload == {}
    with pytest.raises(TypeError):
        job["payload"]
