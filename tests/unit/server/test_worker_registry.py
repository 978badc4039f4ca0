"""The claim path's registry throttle and the live/idle/gone states (pure)."""

from __future__ import annotations

from intent_bus.server.workers import SEEN_INTERVAL, SightingThrottle, worker_state
from intent_bus.storage.workers import WorkerSighting

SEEN = WorkerSighting("acme", "w1", ("gpu",), "resize", "default", "2.1")


def test_a_sighting_is_written_at_most_once_per_interval() -> None:
    throttle = SightingThrottle()
    assert throttle.due(SEEN, 100.0) is True
    assert throttle.due(SEEN, 100.0 + SEEN_INTERVAL / 2) is False
    assert throttle.due(SEEN, 100.0 + SEEN_INTERVAL) is True


def test_a_new_goal_or_capability_is_written_at_once() -> None:
    throttle = SightingThrottle()
    assert throttle.due(SEEN, 100.0)
    other_goal = WorkerSighting("acme", "w1", ("gpu",), "email", "default", "2.1")
    assert throttle.due(other_goal, 100.1) is True


def test_states_live_idle_gone() -> None:
    assert worker_state(1000.0, 0, 1060.0) == "live"
    assert worker_state(1000.0, 0, 1061.0) == "idle"
    assert worker_state(1000.0, 2, 1500.0) == "live"  # holds leases
    assert worker_state(1000.0, 0, 1600.0) == "idle"
    assert worker_state(1000.0, 0, 1601.0) == "gone"
