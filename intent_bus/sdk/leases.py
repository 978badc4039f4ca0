"""Which claim tokens a client holds, so fulfill/fail/extend need only the id.

One ``LeaseMemory`` per client: a claim remembers its token, and a verdict or
a lost lease forgets it. Pure bookkeeping, shared by both clients.
"""

from __future__ import annotations

from collections.abc import Mapping

from intent_bus.sdk.exceptions import IntentBusLeaseLostError
from intent_bus.sdk.models import ClaimResponse

__all__ = ["LeaseMemory"]

# A worker that abandons leases (crashes in a handler, never calls fail) must not
# grow the memory forever; the oldest remembered leases are forgotten first.
MAX_REMEMBERED_LEASES = 10_000


class LeaseMemory:
    """The claim token of each intent this client leased and has not finished."""

    __slots__ = ("_tokens",)

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}

    @property
    def tokens(self) -> Mapping[str, str]:
        return self._tokens

    def remember(self, claimed: ClaimResponse) -> None:
        intent = claimed.intent
        if intent is None:
            return
        tokens = self._tokens
        if len(tokens) >= MAX_REMEMBERED_LEASES:
            tokens.pop(next(iter(tokens)))
        tokens[intent.id] = intent.claim_token

    def forget(
        self, intent_id: str, token: str, error: Exception | None = None
    ) -> None:
        """Drops the remembered lease once it is finished or lost; a failure with
        some other token (an explicit, wrong one) leaves it alone."""
        if error is not None and not isinstance(error, IntentBusLeaseLostError):
            return
        if self._tokens.get(intent_id) == token:
            self._tokens.pop(intent_id, None)
