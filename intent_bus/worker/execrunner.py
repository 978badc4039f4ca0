"""Shell workers: run a command per intent (`intent-bus listen --exec CMD`).

The command gets the payload as JSON on stdin and a few ``INTENT_*``
environment variables; its stdout becomes the result (JSON when it parses,
else text) and a non-zero exit fails the intent with its stderr. This lets a
worker be any program, without Python code.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from typing import Any

from intent_bus.worker.outcome import Outcome

__all__ = ["command_env", "exec_outcome", "run_command"]

# Error texts keep the end of stderr: that is where the reason usually is.
_STDERR_TAIL = 1500


def command_env(intent: Any, base: Mapping[str, str]) -> dict[str, str]:
    """The command's environment: ours plus what it may want to know about the
    intent (its id for logs, the attempt number for idempotent side effects)."""
    env = dict(base)
    env["INTENT_ID"] = str(intent.id)
    env["INTENT_GOAL"] = str(intent.goal)
    env["INTENT_NAMESPACE"] = str(intent.namespace)
    env["INTENT_CLAIM_ATTEMPTS"] = str(intent.claim_attempts)
    return env


def exec_outcome(returncode: int, stdout: str, stderr: str) -> Outcome:
    """Map a finished command to an outcome (pure)."""
    if returncode != 0:
        reason = stderr.strip()[-_STDERR_TAIL:]
        how = (
            f"killed by signal {-returncode}"
            if returncode < 0
            else f"exited with status {returncode}"
        )
        return Outcome.fail(f"command {how}: {reason}" if reason else f"command {how}")
    text = stdout.strip()
    if not text:
        return Outcome.fulfill()
    try:
        value = json.loads(text)
    except ValueError:
        return Outcome.fulfill(stdout.rstrip("\r\n"), "text")
    # json.loads accepts NaN/Infinity; the wire does not, so keep those as text.
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return Outcome.fulfill(stdout.rstrip("\r\n"), "text")
    return Outcome.fulfill(value, "json")


def run_command(command: str, intent: Any, timeout: float | None = None) -> Outcome:
    """Run `command` through the shell for one claimed intent and map the result.

    A command that cannot be started or runs past `timeout` fails the intent;
    nothing here raises for a misbehaving command.
    """
    stdin = json.dumps(intent.payload)
    try:
        done = subprocess.run(
            command,
            shell=True,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            env=command_env(intent, os.environ),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome.fail(f"command timed out after {timeout:g} s")
    except OSError as exc:
        return Outcome.fail(f"command could not be started: {exc}")
    return exec_outcome(done.returncode, done.stdout, done.stderr)
