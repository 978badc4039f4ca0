"""One list of intent fields (`protocol`), pinned against every place that
declares them, so a field added in one place and not the others fails here."""

from __future__ import annotations

import msgspec

from intent_bus import protocol
from intent_bus.server import schemas


def _wire_fields(struct: type[msgspec.Struct]) -> tuple[str, ...]:
    return struct.__struct_encode_fields__


def test_server_structs_have_the_protocol_fields() -> None:
    assert _wire_fields(schemas.PublishRequest) == protocol.PUBLISH_FIELDS
    assert _wire_fields(schemas.StatusView) == protocol.STATUS_FIELDS
    assert _wire_fields(schemas.ResultView) == protocol.RESULT_FIELDS
    assert _wire_fields(schemas.ClaimResponse) == protocol.CLAIM_FIELDS
    dead = _wire_fields(schemas.DeadIntentView)
    assert dead == (*protocol.STATUS_FIELDS, "owner")
