"""The plan protocol: what a client method's generator yields and returns.

``operations`` and ``control_ops`` write each public client method as a plan;
``client`` and ``async_client`` run them. ``describe`` lends a plan's name,
docstring and signature to the client method that runs it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from intent_bus.sdk.call import Call

__all__ = ["Pause", "Plan", "Step", "describe"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Pause:
    """A plan's request to wait before its next step (polling)."""

    seconds: float


Step = Call[Any] | Pause
Plan = Generator[Step, Any, T]
"""Yields steps, is sent each call's parsed answer, returns the method's value."""


def describe(method: F, plan: Callable[..., Any]) -> F:
    """Gives a client's `method` the name, docstring and signature of `plan`
    (with ``self`` for the plan's ``Operations`` and the plan's result as the
    return annotation), so ``help()`` and ``inspect`` show the real method."""
    method.__name__ = plan.__name__
    method.__qualname__ = plan.__name__
    method.__doc__ = plan.__doc__
    signature = inspect.signature(plan)
    # Annotations stay strings (postponed evaluation): "Plan[X]" returns "X".
    # Evaluating them instead would cost milliseconds at every import.
    annotation = str(plan.__annotations__["return"])
    if not (annotation.startswith("Plan[") and annotation.endswith("]")):
        raise TypeError(f"plan {plan.__name__} must be annotated -> Plan[...]")
    returned = annotation[len("Plan[") : -1]
    self_param, *params = signature.parameters.values()
    self_param = self_param.replace(kind=self_param.POSITIONAL_OR_KEYWORD)
    # inspect.signature reads __signature__, which Callable does not declare.
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[self_param, *params], return_annotation=returned
    )
    return method
