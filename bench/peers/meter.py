"""The shared counter every peer's no-op handler bumps, the same for all peers.

A small file mapped into memory by the bench and by each worker process: one
slot per worker (jobs handled, wall time of the last handler start, ready
flag) and one start flag. A process writes only its own slot, so no lock
between processes is needed; a process running handlers on several threads
(Intent Bus with slots) takes a thread lock, or two handlers could read the
same count and one job would go uncounted. A hit costs about a microsecond:
the queue under test is never asked how far it got, so counting adds no load
to it. The count is read back from the file rather than kept in a Python
variable because RQ runs each job in a freshly forked process, whose
variables die with it.
"""

from __future__ import annotations

import mmap
import struct
import threading
import time
from pathlib import Path

_HEADER = struct.Struct("<q")  # start flag, set by the bench
_SLOT = struct.Struct("<qdq")  # jobs handled, last handler start (time.time()), ready


class Meter:
    """A view of the shared file; `slot` is this process's slot, or None for
    the bench itself."""

    def __init__(self, path: Path, slot: int | None = None) -> None:
        self.path = path
        self.slot = slot
        self._lock = threading.Lock()
        with open(path, "r+b") as file:
            self._map = mmap.mmap(file.fileno(), 0)

    @staticmethod
    def create(path: Path, slots: int) -> Meter:
        path.write_bytes(bytes(_HEADER.size + slots * _SLOT.size))
        return Meter(path)

    @property
    def slots(self) -> int:
        return (len(self._map) - _HEADER.size) // _SLOT.size

    def _offset(self, slot: int) -> int:
        return _HEADER.size + slot * _SLOT.size

    # -- worker side --------------------------------------------------------

    def hit(self) -> None:
        """Counts one job; called first thing in every peer's no-op handler."""
        assert self.slot is not None
        offset = self._offset(self.slot)
        with self._lock:
            count, _, ready = _SLOT.unpack_from(self._map, offset)
            _SLOT.pack_into(self._map, offset, count + 1, time.time(), ready)

    def ready_and_wait(self, poll: float = 0.002) -> None:
        """Says this worker is set up, then blocks until the bench says go, so
        that every worker starts draining at the same moment."""
        assert self.slot is not None
        offset = self._offset(self.slot)
        count, last, _ = _SLOT.unpack_from(self._map, offset)
        _SLOT.pack_into(self._map, offset, count, last, 1)
        while not _HEADER.unpack_from(self._map, 0)[0]:
            time.sleep(poll)

    # -- bench side ---------------------------------------------------------

    def all_ready(self) -> bool:
        return all(
            _SLOT.unpack_from(self._map, self._offset(s))[2] for s in range(self.slots)
        )

    def go(self) -> None:
        _HEADER.pack_into(self._map, 0, 1)

    def total(self) -> int:
        return sum(
            _SLOT.unpack_from(self._map, self._offset(s))[0] for s in range(self.slots)
        )

    def last_start(self) -> float:
        """Wall time of the latest handler start in any worker."""
        return max(
            _SLOT.unpack_from(self._map, self._offset(s))[1] for s in range(self.slots)
        )

    def close(self) -> None:
        self._map.close()
