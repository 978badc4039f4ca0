"""Query strings decoded into input Structs: the text `null` is never None."""

from __future__ import annotations

import pytest

from intent_bus.server.errors import ApiError
from intent_bus.server.http.inputs import decode_query
from intent_bus.server.schemas import ClaimParams


def test_null_for_a_number_is_refused_not_read_as_absent() -> None:
    with pytest.raises(ApiError) as info:
        decode_query(b"namespace=q&wait=null", ClaimParams)
    assert info.value.status == 400 and "wait" in str(info.value.message)


def test_null_for_a_text_field_is_the_four_letters() -> None:
    params = decode_query(b"namespace=q&goal=null", ClaimParams)
    assert params.goal == "null"
    assert decode_query(b"namespace=q", ClaimParams).goal is None


def test_a_parameter_given_twice_is_refused() -> None:
    with pytest.raises(ApiError) as info:
        decode_query(b"namespace=q&wait=1&wait=2", ClaimParams)
    assert info.value.status == 400 and "more than once" in info.value.message
