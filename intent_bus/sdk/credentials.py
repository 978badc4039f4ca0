"""Where the client's server address and API key come from.

In order: the constructor argument, then the environment (``INTENT_BUS_URL``,
``INTENT_BUS_API_KEY``, else the seed SDK's ``INTENT_API_KEY``), then for the
key the file ``~/.apikey``. The file holds a
secret, so it is refused when it is a symlink (someone could point it at their
key) or owned by another user, and a warning is given when others may read it.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Mapping
from pathlib import Path

from intent_bus.protocol import (
    DEFAULT_URL,
    ENV_API_KEY,
    ENV_API_KEY_LEGACY,
    ENV_URL,
)
from intent_bus.sdk.exceptions import IntentBusAuthError, IntentBusError

__all__ = ["DEFAULT_URL", "resolve_api_key", "resolve_base_url"]

KEY_FILE_NAME = ".apikey"


def resolve_base_url(
    base_url: str | None, environ: Mapping[str, str] | None = None
) -> str:
    """The server's base URL, without a trailing slash."""
    environ = os.environ if environ is None else environ
    url = base_url or environ.get(ENV_URL, "").strip() or DEFAULT_URL
    if not url.startswith(("http://", "https://")):
        raise IntentBusError(f"server URL must start with http:// or https://: {url!r}")
    return url.rstrip("/")


def _key_from_file(path: Path) -> str | None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IntentBusAuthError(f"cannot read API key file {path}: {exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise IntentBusAuthError(
            f"refusing to read API key file {path}: it is a symlink; "
            "replace it with a regular file"
        )
    if not stat.S_ISREG(info.st_mode):
        raise IntentBusAuthError(f"API key file {path} is not a regular file")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise IntentBusAuthError(
            f"refusing to read API key file {path}: it is owned by another user"
        )
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.warn(
            f"API key file {path} is accessible by group or others; "
            f"run: chmod 600 {path}",
            UserWarning,
            stacklevel=4,
        )
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IntentBusAuthError(f"cannot read API key file {path}: {exc}") from None
    return key or None


def resolve_api_key(
    api_key: str | None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> str:
    """The API key; IntentBusAuthError saying where it was looked for if none."""
    if api_key:
        return api_key.strip()
    environ = os.environ if environ is None else environ
    for name in (ENV_API_KEY, ENV_API_KEY_LEGACY):
        key = environ.get(name, "").strip()
        if key:
            return key
    path = (home if home is not None else Path.home()) / KEY_FILE_NAME
    key_from_file = _key_from_file(path)
    if key_from_file:
        return key_from_file
    raise IntentBusAuthError(
        f"no Intent Bus API key: pass api_key=..., set {ENV_API_KEY} "
        f"(or {ENV_API_KEY_LEGACY}), "
        f"or put the key in {path} (mode 600)"
    )
