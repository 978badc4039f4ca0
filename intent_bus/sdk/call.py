"""``Call``: one SDK request as plain data, and whether it may be repeated.

A call is what the pure layer (``calls``, ``admin_calls``) hands to the I/O
shells: the request to sign and send, how to read the answer, and its
``Safety``, which the retry loop (``retry``) reads to decide what a lost answer
allows. Nothing here sends or sleeps, so both layers import it and neither
imports the other.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

__all__ = ["Call", "Parse", "Safety"]

T = TypeVar("T")

Parse = Callable[[httpx.Response, bool], T]
"""Reads a response; the flag says an earlier attempt's outcome is unknown."""


class Safety(enum.Enum):
    """What repeating a request may do (see the ``retry`` module docstring)."""

    ALWAYS = "always"
    UNPROCESSED = "unprocessed"


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request, ready to sign and send, and how to read its answer."""

    method: str
    path: str
    parse: Parse[T]
    retry: Safety = Safety.ALWAYS
    params: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    extra_read_timeout: float = 0.0
    """Added to the read timeout, for a long-poll claim that the server holds."""
