"""How a finished --exec command maps to an outcome (pure part of execrunner)."""

from __future__ import annotations

from types import SimpleNamespace

from intent_bus.worker.execrunner import command_env, exec_outcome
from intent_bus.worker.outcome import Outcome


def test_json_stdout_is_a_json_result() -> None:
    assert exec_outcome(0, '{"ok": true}\n', "") == Outcome.fulfill(
        {"ok": True}, "json"
    )


def test_json_scalar_stdout_is_a_json_result() -> None:
    assert exec_outcome(0, "42\n", "") == Outcome.fulfill(42, "json")


def test_other_stdout_is_text_without_the_final_newline() -> None:
    assert exec_outcome(0, "resized a.png\n", "") == Outcome.fulfill(
        "resized a.png", "text"
    )


def test_nan_is_not_json_on_the_wire_so_it_stays_text() -> None:
    assert exec_outcome(0, "NaN\n", "") == Outcome.fulfill("NaN", "text")


def test_empty_stdout_fulfills_without_result() -> None:
    assert exec_outcome(0, "  \n", "warnings only") == Outcome.fulfill()


def test_nonzero_exit_fails_with_stderr() -> None:
    verdict = exec_outcome(2, "partial", "convert: no such file\n")
    assert verdict == Outcome.fail(
        "command exited with status 2: convert: no such file"
    )


def test_nonzero_exit_without_stderr_says_the_status() -> None:
    assert exec_outcome(1, "", "").error == "command exited with status 1"


def test_signal_death_is_named() -> None:
    assert exec_outcome(-9, "", "").error == "command killed by signal 9"


def test_long_stderr_keeps_its_end() -> None:
    verdict = exec_outcome(1, "", "noise " * 1000 + "the real reason")
    assert (verdict.error or "").endswith("the real reason")


def test_command_env_describes_the_intent() -> None:
    intent = SimpleNamespace(
        id="abc", goal="resize", namespace="media", claim_attempts=2
    )
    env = command_env(intent, {"PATH": "/bin"})
    assert env == {
        "PATH": "/bin",
        "INTENT_ID": "abc",
        "INTENT_GOAL": "resize",
        "INTENT_NAMESPACE": "media",
        "INTENT_CLAIM_ATTEMPTS": "2",
    }
