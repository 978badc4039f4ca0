"""What commands write on stdout: JSON documents or short human lines.

Human output puts a text value as it is (so ``$(intent-bus kv get name)`` is
the plain string) and any other value as compact JSON.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "age",
    "emit",
    "emit_json",
    "json_view",
    "model_view",
    "note",
    "render_value",
    "status_lines",
    "table",
    "when",
]

TIME_FIELDS = frozenset(
    {"run_at", "created_at", "lease_expires_at", "completed_at", "progress_at"}
)
"""Epoch seconds on the wire; people read them as local times (not in --json)."""

_lock = threading.Lock()
"""Handler threads of `listen --concurrency` print through here: whole lines."""


def emit(text: str) -> None:
    with _lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def note(text: str) -> None:
    """A remark for the person at the terminal, on stderr."""
    with _lock:
        sys.stderr.write(f"intent-bus: {text}\n")
        sys.stderr.flush()


def emit_json(document: Any) -> None:
    """One JSON document on one line."""
    emit(json.dumps(document, ensure_ascii=False, separators=(",", ":")))


def render_value(value: Any, text: bool = False) -> str:
    if text or isinstance(value, str):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def when(stamp: Any) -> str | None:
    """Epoch seconds as a local date and time; None for anything else."""
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(stamp)).strip()


def age(seconds: Any) -> str | None:
    """A duration in seconds as people say it (``45s``, ``12m``, ``3h``,
    ``2d``); None for anything but a number."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    seconds = max(0.0, float(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def status_lines(view: Mapping[str, Any]) -> str:
    """An intent's fields as aligned ``name: value`` lines, nulls left out and
    times readable."""
    shown = {
        k: (when(v) or v) if k in TIME_FIELDS else v
        for k, v in view.items()
        if v is not None
    }
    width = max((len(k) for k in shown), default=0)
    return "\n".join(f"{k.ljust(width)}  {render_value(v)}" for k, v in shown.items())


def table(rows: Iterable[Iterable[Any]], header: Iterable[str]) -> str:
    """Left-aligned columns; None shows as ``-``."""
    cells = [list(header)] + [
        ["-" if c is None else str(c) for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def model_view(model: Any) -> dict[str, Any]:
    """An SDK model as the server's JSON view: known fields, then unknown ones."""
    view = {
        f.name: getattr(model, f.name)
        for f in dataclasses.fields(model)
        if f.name != "extra"
    }
    view.update(getattr(model, "extra", {}))
    return view


def json_view(value: Any) -> Any:
    """An SDK model (nested ones, tuples and read-only mappings included) as
    the plain JSON the server sent, for ``--json``."""
    if isinstance(value, Mapping):
        return {str(k): json_view(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: json_view(v) for k, v in model_view(value).items()}
    if isinstance(value, list | tuple):
        return [json_view(v) for v in value]
    return value
