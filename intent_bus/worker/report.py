"""Telling the server a handler's verdict: one fulfill or fail per lease.

A lost lease is logged and reported as not accepted (another worker may run
the intent again); a result the server refuses fails the intent with the
reason, so it does not wait for its lease to expire.
"""

from __future__ import annotations

import logging

from intent_bus.sdk.exceptions import IntentBusError, IntentBusLeaseLostError
from intent_bus.sdk.models import ClaimedIntent
from intent_bus.worker.client import WorkerClient
from intent_bus.worker.outcome import Outcome

__all__ = ["report"]

log = logging.getLogger("intent_bus.worker")


def report(client: WorkerClient, intent: ClaimedIntent, verdict: Outcome) -> bool:
    """Sends `verdict`; True when the server accepted it."""
    token = intent.claim_token
    try:
        if not verdict.fulfilled:
            # An Outcome.fail always carries its error text.
            client.fail(intent.id, error=verdict.error or "", claim_token=token)
            log.debug("failed intent %s: %s", intent.id, verdict.error)
            return True
        if verdict.result_type is None:
            client.fulfill(intent.id, claim_token=token)
        else:
            client.fulfill(
                intent.id,
                result=verdict.result,
                result_type=verdict.result_type,
                claim_token=token,
            )
        log.debug("fulfilled intent %s", intent.id)
        return True
    except IntentBusLeaseLostError:
        log.warning(
            "lease of intent %s was lost before its outcome was reported; "
            "another worker may run it again",
            intent.id,
        )
        return False
    except IntentBusError as exc:
        if verdict.fulfilled:
            # The server refused the result (too large, say): fail the
            # intent with the reason rather than leave it to expire.
            log.error("could not fulfill intent %s: %s", intent.id, exc)
            report(client, intent, Outcome.fail(f"could not report the result: {exc}"))
            return False
        log.error("could not fail intent %s: %s", intent.id, exc)
        return False
