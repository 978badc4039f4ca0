"""IntentClient and AsyncIntentClient are twins: one plan per method."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from intent_bus import AsyncIntentClient, IntentClient
from intent_bus.sdk.operations import Operations

# Closing differs by nature: asyncio code expects `aclose` as well.
ASYNC_ONLY = {"aclose"}
# Page walkers: a generator in the sync client, an async generator in the other.
ITERATORS = {"iter_intents"}


def public_methods(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls, callable)
        if not name.startswith("_")
    }


def test_both_clients_expose_the_same_public_methods() -> None:
    sync, unsync = public_methods(IntentClient), public_methods(AsyncIntentClient)
    assert set(unsync) - ASYNC_ONLY == set(sync)


@pytest.mark.parametrize("name", sorted(set(public_methods(IntentClient)) - ITERATORS))
def test_each_method_has_one_signature_and_docstring(name: str) -> None:
    sync = getattr(IntentClient, name)
    unsync = getattr(AsyncIntentClient, name)
    assert inspect.signature(sync) == inspect.signature(unsync)
    assert inspect.getdoc(sync) and inspect.getdoc(sync) == inspect.getdoc(unsync)
    assert not inspect.iscoroutinefunction(sync)
    assert inspect.iscoroutinefunction(unsync)


def test_every_plan_is_a_method_of_both_clients() -> None:
    plans = {
        name
        for name, member in inspect.getmembers(Operations, inspect.isfunction)
        if not name.startswith("_")
    }
    assert plans <= set(public_methods(IntentClient))
    for name in plans:
        plan = inspect.signature(getattr(Operations, name))
        method = inspect.signature(getattr(IntentClient, name))
        assert list(plan.parameters)[1:] == list(method.parameters)[1:]
        assert getattr(IntentClient, name).__doc__ == getattr(Operations, name).__doc__


def test_signatures_show_what_the_method_returns() -> None:
    returned = inspect.signature(IntentClient.get_result).return_annotation
    assert "IntentResult" in str(returned)
    assert list(inspect.signature(IntentClient.publish).parameters)[:3] == [
        "self",
        "goal",
        "payload",
    ]


@pytest.mark.parametrize("name", sorted(ITERATORS))
def test_each_iterator_has_one_parameter_list_and_docstring(name: str) -> None:
    sync = getattr(IntentClient, name)
    unsync = getattr(AsyncIntentClient, name)
    assert inspect.signature(sync).parameters == inspect.signature(unsync).parameters
    assert inspect.getdoc(sync) and inspect.getdoc(sync) == inspect.getdoc(unsync)
    assert inspect.isgeneratorfunction(sync)
    assert inspect.isasyncgenfunction(unsync)
