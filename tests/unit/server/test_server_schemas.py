"""The server's Structs take their vocabularies and limits from `protocol`."""

from __future__ import annotations

import typing

import msgspec
import pytest

from intent_bus import protocol
from intent_bus.server import schemas, schemas_batch
from intent_bus.server.schemas_leases import ExtendRequest


@pytest.mark.parametrize(
    ("literal", "values"),
    [
        (schemas.StatusName, protocol.STATUSES),
        (schemas.EventType, protocol.EVENT_TYPES),
        (schemas.Visibility, protocol.VISIBILITIES),
        (schemas.ResultType, protocol.RESULT_TYPES),
        (schemas.RoleName, protocol.ROLES),
        (schemas.Overlap, protocol.OVERLAPS),
        (schemas.CatchUp, protocol.CATCH_UPS),
        (schemas_batch.PublishOutcomeName, protocol.PUBLISH_OUTCOMES),
    ],
)
def test_literal_types_are_the_protocol_tuples(
    literal: object, values: tuple[str, ...]
) -> None:
    assert typing.get_args(literal) == values


def _properties(struct: type[msgspec.Struct]) -> dict[str, typing.Any]:
    _, components = msgspec.json.schema_components([struct])
    properties: dict[str, typing.Any] = {}
    for name, schema in components[struct.__name__]["properties"].items():
        branches = schema.get("anyOf", [schema])
        properties[name] = next(b for b in branches if b != {"type": "null"})
    return properties


def test_claim_inputs_use_the_protocol_limits() -> None:
    query = _properties(schemas.ClaimParams)
    assert query["wait"]["maximum"] == protocol.MAX_WAIT_SECONDS
    assert query["publisher"]["maxLength"] == protocol.OWNER_MAX_CHARS
    assert query["goal"]["maxLength"] == protocol.GOAL_MAX_CHARS
    assert query["namespace"]["maxLength"] == protocol.NAMESPACE_MAX_CHARS
    headers = _properties(schemas.WorkerHeaders)
    assert headers[protocol.HEADER_WORKER_ID]["maxLength"] == (
        protocol.WORKER_ID_MAX_CHARS
    )
    assert protocol.HEADER_WORKER_CAPABILITIES in headers
    publish = _properties(schemas.PublishHeaders)
    assert publish[protocol.HEADER_IDEMPOTENCY_KEY]["maxLength"] == (
        protocol.IDEMPOTENCY_KEY_MAX_CHARS
    )


def test_claim_tokens_and_owners_use_the_protocol_limits() -> None:
    for struct in (schemas.FulfillRequest, schemas.FailRequest, ExtendRequest):
        token = _properties(struct)["claim_token"]
        assert token["maxLength"] == protocol.CLAIM_TOKEN_MAX_CHARS
    owner = _properties(schemas.KeyCreateRequest)["owner"]
    assert owner["maxLength"] == protocol.OWNER_MAX_CHARS
    limit = _properties(schemas.DeadListParams)["limit"]
    assert (limit["maximum"], limit["default"]) == (
        protocol.DEAD_LIST_MAX,
        protocol.DEAD_LIST_DEFAULT,
    )


def test_batch_limits_are_the_protocols() -> None:
    publish = _properties(schemas_batch.PublishManyRequest)["intents"]
    assert publish["maxItems"] == protocol.PUBLISH_BATCH_MAX
    complete = _properties(schemas_batch.CompleteRequest)["items"]
    assert complete["maxItems"] == protocol.COMPLETE_BATCH_MAX
    claim = _properties(schemas_batch.ClaimManyParams)["max"]
    assert claim["maximum"] == protocol.CLAIM_BATCH_MAX
