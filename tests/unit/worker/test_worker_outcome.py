"""The handler-outcome rules of `intent_bus.worker.outcome`."""

from __future__ import annotations

import math

import pytest

from intent_bus import protocol
from intent_bus.worker.outcome import Outcome, from_exception, from_return


def test_none_fulfills_without_result() -> None:
    assert from_return(None) == Outcome("fulfill", None, None, None)


def test_false_fails() -> None:
    verdict = from_return(False)
    assert verdict.action == "fail"
    assert verdict.error == "handler returned False"


@pytest.mark.parametrize("value", [0, True, [], {}, {"a": 1}, [1, "x"], 2.5])
def test_json_values_fulfill_as_json(value: object) -> None:
    assert from_return(value) == Outcome.fulfill(value, "json")


def test_zero_and_empty_are_results_not_failures() -> None:
    assert from_return(0).fulfilled
    assert from_return("").fulfilled


def test_string_fulfills_as_text() -> None:
    assert from_return("Done") == Outcome.fulfill("Done", "text")


def test_readme_envelope_sets_result_and_type() -> None:
    value = {"result": {"status": "success", "file": "out.png"}, "result_type": "json"}
    assert from_return(value) == Outcome.fulfill(
        {"status": "success", "file": "out.png"}, "json"
    )


def test_text_envelope() -> None:
    assert from_return({"result": "ok", "result_type": "text"}) == Outcome.fulfill(
        "ok", "text"
    )


def test_envelope_with_json_string_stays_json() -> None:
    assert from_return({"result": "ok", "result_type": "json"}) == Outcome.fulfill(
        "ok", "json"
    )


def test_dict_with_more_keys_is_a_plain_result() -> None:
    value = {"result": 1, "result_type": "json", "other": 2}
    assert from_return(value) == Outcome.fulfill(value, "json")


def test_dict_with_only_result_key_is_a_plain_result() -> None:
    assert from_return({"result": 1}) == Outcome.fulfill({"result": 1}, "json")


def test_envelope_with_unknown_type_fails() -> None:
    verdict = from_return({"result": 1, "result_type": "xml"})
    assert verdict.action == "fail"
    assert "'xml'" in (verdict.error or "")


def test_text_envelope_with_non_string_fails() -> None:
    verdict = from_return({"result": 5, "result_type": "text"})
    assert verdict.action == "fail"
    assert "must be a string" in (verdict.error or "")


@pytest.mark.parametrize("value", [{1, 2}, object(), {"x": math.nan}, [math.inf]])
def test_values_that_are_not_strict_json_fail(value: object) -> None:
    verdict = from_return(value)
    assert verdict.action == "fail"
    assert (verdict.error or "").startswith("handler result is not valid JSON")


def test_exception_fails_with_type_and_text() -> None:
    assert from_exception(ValueError("bad url")).error == "ValueError: bad url"


def test_exception_without_text_uses_type() -> None:
    assert from_exception(KeyError()).error == "KeyError"


def test_long_error_is_clipped_to_what_the_server_keeps() -> None:
    verdict = from_exception(RuntimeError("x" * 10_000))
    assert verdict.error is not None
    assert len(verdict.error) == protocol.ERROR_MAX_CHARS
    assert verdict.error.endswith("...")


def test_to_json_of_each_action() -> None:
    assert Outcome.fulfill([1], "json").to_json("abc") == {
        "id": "abc",
        "status": "fulfilled",
        "result": [1],
        "result_type": "json",
    }
    assert Outcome.fail("no").to_json("abc") == {
        "id": "abc",
        "status": "failed",
        "error": "no",
    }
