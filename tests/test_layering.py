"""The SDK, worker and CLI never load the server's stack: imports flow one way."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

FORBIDDEN = (
    "starlette",
    "uvicorn",
    "msgspec",
    "psycopg",
    "intent_bus.server",
    "intent_bus.storage",
)

CLIENT_MODULES = [
    "intent_bus",
    "intent_bus.sdk.client",
    "intent_bus.sdk.async_client",
    "intent_bus.worker",
    "intent_bus.cli.main",
]

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
if sys.argv[1] == "intent_bus":
    import intent_bus
    intent_bus.IntentClient, intent_bus.AsyncIntentClient, intent_bus.IntentBusError
print(json.dumps(sorted(sys.modules)))
"""


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("module", CLIENT_MODULES)
def test_client_side_never_imports_the_server_stack(module: str) -> None:
    if not _exists(module):
        pytest.skip(f"{module} does not exist yet")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    loaded = json.loads(out)
    leaked = [
        name
        for name in loaded
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]
    assert leaked == [], f"importing {module} loaded {leaked}"
