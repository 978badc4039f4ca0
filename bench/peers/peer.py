"""What the bench asks of each system under test, and the common parts.

A peer is driven the same way whatever it is: `open` makes a fresh, empty
store and connects a producer; `enqueue` publishes jobs one by one from this
process; `work` runs in each worker subprocess with a no-op handler that only
bumps the shared `Meter`; `close` stops and removes what `open` made.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from meter import Meter


class Peer:
    name = ""
    store = ""
    packages: tuple[str, ...] = ()
    """Distributions whose versions the report lists for this peer."""

    def __init__(self, options: argparse.Namespace, tmp: Path) -> None:
        self.options = options
        self.tmp = tmp
        self.note = ""
        """One line on how the run went that the report should show."""

    def open(self) -> dict[str, Any]:
        """Makes a fresh store and a producer; returns the JSON-able settings
        the worker processes need."""
        raise NotImplementedError

    def publish(self, n: int) -> None:
        raise NotImplementedError

    def enqueue(self, count: int) -> None:
        """Publishes `count` jobs; a peer with a batch path overrides this."""
        for n in range(count):
            self.publish(n)

    def close(self) -> None:
        """Stops the producer and removes the store, whatever state it is in."""

    @staticmethod
    def work(config: dict[str, Any], meter: Meter) -> None:
        """Runs one worker until SIGTERM; calls `meter.ready_and_wait()` once
        set up and `meter.hit()` in its no-op handler."""
        raise NotImplementedError


PEERS = {
    "intent-bus": "peer_intent_bus:IntentBusPeer",
    "intent-bus-slots": "peer_intent_bus:IntentBusSlotsPeer",
    "intent-bus-batch": "peer_intent_bus:IntentBusBatchPeer",
    "huey": "peer_huey:HueyPeer",
    "rq": "peer_rq:RQPeer",
    "rq-simple": "peer_rq:RQSimplePeer",
    "procrastinate": "peer_procrastinate:ProcrastinatePeer",
}
"""The peers by command-line name, imported only when used: a worker process
loads its own peer's packages and no others."""


def load(key: str) -> type[Peer]:
    module, cls = PEERS[key].split(":")
    peer: type[Peer] = getattr(importlib.import_module(module), cls)
    return peer
