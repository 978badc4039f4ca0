"""API key secrets through a store's `SecretBox`, the same for both backends.

A key row keeps `secret` = the box's lookup value (a keyed hash under a real
box) and `secret_sealed` = the encrypted secret; these helpers turn records
into those parameters and rows back into records, so no backend repeats it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from intent_bus.storage.base import ApiKey, SecretBox
from intent_bus.storage.params import as_params


def create_params(key: ApiKey, box: SecretBox) -> dict[str, Any]:
    """`key_create` parameters: the lookup value and the sealed secret."""
    return {
        **as_params(key),
        "secret": box.lookup(key.secret),
        "secret_sealed": box.seal(key.secret),
    }


def opened(key: ApiKey, sealed: bytes | None, box: SecretBox) -> ApiKey:
    """The record with its secret opened (a row not sealed yet holds it)."""
    if sealed is None:
        return key
    return dataclasses.replace(key, secret=box.open(bytes(sealed)))


def resealed(
    rows: Iterable[tuple[str, str, bytes | None]],
    old: SecretBox,
    new: SecretBox,
    *,
    only_plain: bool,
) -> list[dict[str, Any]]:
    """`key_secret_set` parameters that put rows (id, secret, sealed) under
    `new`; with `only_plain`, just the rows not sealed yet."""
    updates = []
    for key_id, secret, sealed in rows:
        if only_plain and sealed is not None:
            continue
        plain = secret if sealed is None else old.open(bytes(sealed))
        params = {
            "id": key_id,
            "secret": new.lookup(plain),
            "secret_sealed": new.seal(plain),
        }
        if params["secret_sealed"] is not None or not only_plain:
            updates.append(params)
    return updates
