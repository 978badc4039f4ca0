"""Building the SDK client from the command line's connection options.

`--url` and `--api-key` win; otherwise the SDK's own resolution applies
(``INTENT_BUS_URL``, ``INTENT_BUS_API_KEY`` or ``INTENT_API_KEY``,
``~/.apikey``). Admin commands also look at ``INTENT_BUS_ADMIN_KEY``, the
variable the server takes its admin key from, so an operator on the server's
host needs no extra setup.
"""

from __future__ import annotations

import argparse
import os
from typing import Final

from intent_bus import protocol
from intent_bus.sdk.client import IntentClient

__all__ = ["ADMIN_KEY_ENV", "make_client", "url_of"]

ADMIN_KEY_ENV: Final = protocol.ENV_ADMIN_KEY


def url_of(args: argparse.Namespace) -> str | None:
    """The URL the user asked for, for error messages (None: SDK default)."""
    url: str | None = getattr(args, "url", None) or os.environ.get(protocol.ENV_URL)
    return url


def make_client(args: argparse.Namespace, *, admin: bool = False) -> IntentClient:
    """An IntentClient for these options; raises the SDK's errors (no key, bad
    URL) for `main` to report."""
    api_key: str | None = getattr(args, "api_key", None)
    if api_key is None and admin:
        api_key = os.environ.get(ADMIN_KEY_ENV) or None
    return IntentClient(base_url=getattr(args, "url", None), api_key=api_key)
