"""Stopping a worker: `stop()` from any thread, SIGINT/SIGTERM, and the abort.

The first signal (or `request`) asks for a graceful stop; a second signal
raises `WorkerAborted` in the main thread. A Python signal handler runs in the
main thread between two bytecodes, so it may not take a lock (the interrupted
code might hold it) nor write to a stream: it only sets a flag. Waits of the
main thread are therefore sliced into short ticks that re-check the flag.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, Final

__all__ = ["TICK", "Shutdown", "WorkerAborted"]

TICK: Final = 0.25
"""Longest uninterrupted wait of the main thread: how quickly a stop is seen."""


class WorkerAborted(BaseException):
    """Raised in the main thread by the second signal. A BaseException so that
    no ``except Exception`` on the way (in the SDK, say) swallows it."""


class Shutdown:
    """The stop request of one runtime: a flag, an event, and signal handling."""

    def __init__(self) -> None:
        self._flag = False  # set by the signal handler, which takes no lock
        self._event = threading.Event()  # wakes sliced waits early for stop()
        self.aborted = False

    def request(self) -> None:
        """Ask for a graceful stop; safe from any thread (not from a signal
        handler: Event.set takes a lock)."""
        self._flag = True
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._flag or self._event.is_set()

    def reset(self) -> None:
        self._flag = False
        self._event.clear()

    def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, returning early once a stop is requested."""
        deadline = time.monotonic() + seconds
        while not self.requested:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._event.wait(min(left, TICK))

    @contextmanager
    def signals(self) -> Iterator[None]:
        """Route SIGINT and SIGTERM here for the block, when running in the main
        thread (elsewhere Python does not allow it; `request` still works)."""
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, self._on_signal)
        self.aborted = False
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._flag:
            self.aborted = True
            raise WorkerAborted
        self._flag = True
