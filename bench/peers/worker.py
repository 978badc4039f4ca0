"""One worker process of the peer benchmark: `worker.py PEER SLOT METER CONFIG`.

Started by run.py in its own process group and stopped with SIGTERM."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # bench/, for e2e
from meter import Meter
from peer import load


def main() -> None:
    key, slot, meter_path, config = sys.argv[1:5]
    load(key).work(json.loads(config), Meter(Path(meter_path), int(slot)))


if __name__ == "__main__":
    main()
