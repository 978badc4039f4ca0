"""What a handler's return value or exception means for its intent.

Pure functions: the runtime asks `from_return` / `from_exception` for an
`Outcome` and only then talks to the server, so every mapping rule below is
tested without a socket.

The rules (the seed README's contract plus the obvious completions):

- ``{"result": R, "result_type": "json"|"text"}`` (exactly those two keys)
  fulfills with R as that type;
- ``None`` fulfills with no result;
- ``False`` fails the intent (the handler said "no");
- a ``str`` fulfills with a text result, any other JSON value with a JSON result;
- a value that cannot travel as strict JSON (a set, NaN, an object) fails the
  intent with a message naming the problem, rather than crashing the worker;
- an exception fails the intent with ``"ExcType: message"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Literal

from intent_bus import protocol

__all__ = ["Outcome", "from_exception", "from_return"]

ENVELOPE_KEYS: Final = frozenset({"result", "result_type"})


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict on one intent: fulfill it (with an optional result) or fail it.

    ``result_type`` is None exactly when a fulfilled intent carries no result;
    ``error`` is set exactly when ``action`` is ``"fail"``.
    """

    action: Literal["fulfill", "fail"]
    result: Any = None
    result_type: str | None = None
    error: str | None = None

    @property
    def fulfilled(self) -> bool:
        return self.action == "fulfill"

    @classmethod
    def fulfill(cls, result: Any = None, result_type: str | None = None) -> Outcome:
        return cls("fulfill", result, result_type, None)

    @classmethod
    def fail(cls, error: str) -> Outcome:
        return cls("fail", None, None, _clip(error))

    def to_json(self, intent_id: str) -> dict[str, Any]:
        """The outcome as the CLI prints it (`listen --once --json`)."""
        view: dict[str, Any] = {
            "id": intent_id,
            "status": "fulfilled" if self.fulfilled else "failed",
        }
        if self.fulfilled:
            view["result"] = self.result
            view["result_type"] = self.result_type
        else:
            view["error"] = self.error
        return view


def _clip(text: str) -> str:
    text = text or "failed"
    limit = protocol.ERROR_MAX_CHARS
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_problem(value: Any) -> str | None:
    """Why `value` cannot be sent as strict JSON, or None when it can."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return str(exc)
    except RecursionError:
        return "value is nested too deeply"
    return None


def from_return(value: Any) -> Outcome:
    """Map a handler's return value to an outcome (see the module docstring).

    An `Outcome` returned by the handler is taken as is: handlers that decide
    explicitly (the --exec runner) need no encoding trick.
    """
    if isinstance(value, Outcome):
        return value
    if value is None:
        return Outcome.fulfill()
    if value is False:
        return Outcome.fail("handler returned False")
    if isinstance(value, dict) and set(value) == ENVELOPE_KEYS:
        result, result_type = value["result"], value["result_type"]
        if result_type not in protocol.RESULT_TYPES:
            return Outcome.fail(
                f"handler returned result_type {result_type!r}; "
                f"expected one of {', '.join(protocol.RESULT_TYPES)}"
            )
        if result_type == "text" and not isinstance(result, str):
            return Outcome.fail(
                f"handler returned result_type 'text' with a "
                f"{type(result).__name__} result; a text result must be a string"
            )
        value = result
    else:
        result_type = "text" if isinstance(value, str) else "json"
    problem = _json_problem(value)
    if problem is not None:
        return Outcome.fail(f"handler result is not valid JSON: {problem}")
    return Outcome.fulfill(value, result_type)


def from_exception(exc: BaseException) -> Outcome:
    """Map an exception raised by a handler to a failure carrying its text."""
    text = str(exc)
    name = type(exc).__name__
    return Outcome.fail(f"{name}: {text}" if text else name)
