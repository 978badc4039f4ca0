"""The `intent-bus` command line: one module per command group, entry point in
`intent_bus.cli.main`."""

from __future__ import annotations
