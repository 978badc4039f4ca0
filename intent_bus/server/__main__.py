"""`python -m intent_bus.server`: the same as `intent-bus server`."""

from __future__ import annotations

import sys

from intent_bus.server.run import main

sys.exit(main())
