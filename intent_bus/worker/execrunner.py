"""Shell workers: run a command per intent (`intent-bus listen --exec CMD`).

The command gets the payload as JSON on stdin and a few ``INTENT_*``
environment variables; its stdout becomes the result (JSON when it parses,
else text) and a non-zero exit fails the intent with its stderr. This lets a
worker be any program, without Python code.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Mapping
from typing import Any

from intent_bus.worker.outcome import Outcome

__all__ = ["CommandRunner", "command_env", "exec_outcome", "run_command"]

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


class CommandRunner:
    """Runs `command` per intent, each in its own process group.

    Its own group, so the terminal's Ctrl-C reaches only the worker (which
    then lets the command finish), and so that `kill_all` after an abort or a
    timeout also ends whatever the shell started: no orphan keeps working on
    an intent that was already failed. Safe to call from handler threads.
    """

    def __init__(self, command: str, timeout: float | None = None) -> None:
        self.command = command
        self.timeout = timeout
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self._closed = False

    def __call__(self, intent: Any) -> Outcome:
        try:
            child = subprocess.Popen(
                self.command,
                shell=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=command_env(intent, os.environ),
                start_new_session=True,
            )
        except OSError as exc:
            return Outcome.fail(f"command could not be started: {exc}")
        with self._lock:
            self._running.add(child)
            closed = self._closed
        try:
            if closed:  # aborted while it started: it must not run on
                _kill_group(child)
            stdout, stderr = child.communicate(
                json.dumps(intent.payload), timeout=self.timeout
            )
        except subprocess.TimeoutExpired:
            _kill_group(child)
            child.communicate()
            return Outcome.fail(
                f"command timed out after {self.timeout:g} s and was killed"
            )
        finally:
            with self._lock:
                self._running.discard(child)
        return exec_outcome(child.returncode, stdout, stderr)

    def kill_all(self) -> None:
        """Kills every running command's process group, and any started later."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        for child in running:
            _kill_group(child)


def _kill_group(child: subprocess.Popen[str]) -> None:
    # start_new_session made the child the leader of its own group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


def run_command(command: str, intent: Any, timeout: float | None = None) -> Outcome:
    """Run `command` through the shell for one claimed intent and map the result.

    A command that cannot be started or runs past `timeout` fails the intent
    (a timed-out command is killed with its process group); nothing here
    raises for a misbehaving command.
    """
    return CommandRunner(command, timeout)(intent)
