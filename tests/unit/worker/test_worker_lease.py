"""When the lease keeper renews, and what it does when the lease is gone."""

from __future__ import annotations

import threading
from typing import Any

from intent_bus.sdk.exceptions import IntentBusLeaseLostError, IntentBusNetworkError
from intent_bus.worker.lease import MIN_RENEW_SECONDS, LeaseKeeper, renew_after


def test_renews_at_half_the_claim_timeout() -> None:
    assert renew_after(60) == 30
    assert renew_after(2) == 1
    assert renew_after(0.2) == MIN_RENEW_SECONDS


class Server:
    """Answers extend_claim from a script of outcomes, recording each call."""

    def __init__(self, *outcomes: BaseException | None) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[str, Any, Any]] = []
        self.done = threading.Event()

    def extend_claim(
        self, intent_id: str, seconds: Any, claim_token: Any
    ) -> dict[str, Any]:
        self.calls.append((intent_id, seconds, claim_token))
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if not self.outcomes:
            self.done.set()
        if outcome is not None:
            raise outcome
        return {}


def test_keeper_extends_with_token_until_the_lease_is_lost() -> None:
    server = Server(
        None, IntentBusNetworkError("blip"), IntentBusLeaseLostError("gone")
    )
    keeper = LeaseKeeper(server, "abc", "tok", claim_timeout=1.0)
    with keeper:
        assert server.done.wait(10)
        keeper._thread.join(10)  # type: ignore[union-attr]  # ends after lease loss
    assert keeper.lost
    assert keeper.renewals == 1
    assert server.calls == [("abc", 1, "tok")] * 3


def test_keeper_that_is_stopped_at_once_never_extends() -> None:
    server = Server()
    with LeaseKeeper(server, "abc", "tok", claim_timeout=60):
        pass
    assert server.calls == []
