"""extend_claim with progress and a checkpoint, through both clients on a live
server: the README's call keeps working, the next claim carries the checkpoint,
the status carries the progress, and bad values fail before any request."""

from __future__ import annotations

from typing import Any

import pytest

from intent_bus import IntentBusError, IntentBusLeaseLostError, protocol


def test_the_readme_extend_claim_still_works(client: Any) -> None:
    client.publish("encode", {}, namespace="media")
    job = client.claim(goal="encode", namespace="media")
    answer = client.extend_claim(job.id, seconds=300)
    assert answer["claim_timeout"] > 0
    assert job.checkpoint is None
    assert client.get_status(job.id).progress is None


def test_the_next_claim_resumes_from_the_checkpoint(client: Any) -> None:
    published = client.publish("encode", {}, namespace="media", backoff_base=0.001)
    job = client.claim(goal="encode", namespace="media")
    client.extend_claim(job.id, 60, progress=0.5, checkpoint={"part": 3})
    client.extend_claim(job.id, 60, progress="part 4 of 8")
    assert client.get_status(published.id).progress == "part 4 of 8"

    client.fail(job.id, error="node lost")
    # The retry is due after its backoff (up to 1 ms): a long-poll waits for it
    # where a plain claim can come back first and find it not yet due.
    again = client.claim(goal="encode", namespace="media", wait=5)

    assert again.id == job.id and again.checkpoint == {"part": 3}


def test_a_stale_token_is_lease_lost_and_saves_nothing(client: Any) -> None:
    client.publish("encode", {}, namespace="media")
    job = client.claim(goal="encode", namespace="media")
    with pytest.raises(IntentBusLeaseLostError):
        client.extend_claim(job.id, 60, "not-the-token", progress=0.9)
    assert client.get_status(job.id).progress is None


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"progress": 1.01}, "progress"),
        ({"progress": True}, "progress"),
        ({"progress": "x" * (protocol.PROGRESS_TEXT_MAX_CHARS + 1)}, "progress"),
        ({"checkpoint": "é" * protocol.CHECKPOINT_MAX_BYTES}, "checkpoint"),
        ({"checkpoint": {"x": float("nan")}}, "checkpoint"),
    ],
)
def test_bad_values_fail_before_any_request(
    client: Any, fields: dict[str, Any], named: str
) -> None:
    client.publish("encode", {}, namespace="media")
    job = client.claim(goal="encode", namespace="media")
    with pytest.raises(IntentBusError, match=named):
        client.extend_claim(job.id, 60, **fields)
    # The lease is still this client's: a refused argument forgets nothing.
    client.extend_claim(job.id, 60, checkpoint={"ok": True})
