"""How KV values are encoded, so that every JSON value round-trips exactly.

The wire contract says the SDK sends dicts and lists as a JSON *string* and
decodes strings starting with ``{`` or ``[`` on the way back; the published
clients in the field do exactly that. That rule alone cannot tell the list
``[1]`` from the string ``"[1]"``, so this SDK adds one rule on top:

- dicts and lists are sent as compact JSON text (as field clients do);
- a string whose first non-blank character is ``{``, ``[`` or ``"`` is sent
  JSON-quoted (``'{x'`` travels as ``'"{x"'``), so it can never be mistaken
  for a container;
- every other value (other strings, numbers, booleans, null) is sent as is.

Reading undoes it: a stored string whose first non-blank character is ``{``,
``[`` or ``"`` is parsed as JSON (left as is if it does not parse, e.g. a
value written by someone else). Values written by field clients therefore read
back the same here, and containers written here read back the same there; the
one difference is that a field client sees a quoted string written by this SDK
with its quotes.
"""

from __future__ import annotations

import json
from typing import Any

from intent_bus.sdk.strict_json import dumps

__all__ = ["decode_value", "encode_value"]

_MARKERS = ("{", "[", '"')


def _needs_quoting(text: str) -> bool:
    return text.lstrip().startswith(_MARKERS)


def encode_value(value: Any) -> Any:
    """The JSON value to send as ``value`` for ``set(key, value)``.

    Raises IntentBusError for NaN, Infinity or values JSON cannot hold.
    """
    if isinstance(value, dict | list | tuple):
        return dumps(value, "KV value")
    if isinstance(value, str) and _needs_quoting(value):
        return json.dumps(value, separators=(",", ":"))
    return value


def decode_value(stored: Any) -> Any:
    """The Python value ``get(key)`` returns for what the server stored."""
    if isinstance(stored, str) and _needs_quoting(stored):
        try:
            return json.loads(stored)
        except ValueError:
            return stored
    return stored
