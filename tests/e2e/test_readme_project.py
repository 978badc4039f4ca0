"""This repository's README examples, read from README.md and run as written.

The code blocks are taken from the README itself, so an edit there that breaks
an example fails here. Only the README's placeholders (``ak_...``, ``tk_...``,
``INTENT_ID``, ``TOKEN``, ``ID``) are filled in with live values.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from intent_bus.protocol import PROTOCOL_VERSION
from tests.harness import ServerHandle

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"


def blocks(language: str) -> list[str]:
    text = README.read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def block_containing(language: str, needle: str) -> str:
    found = [b for b in blocks(language) if needle in b]
    assert found, f"README has no {language} block containing {needle!r}"
    return found[0]


def environment(server: ServerHandle, key: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTENT_")}
    env.update(
        HOME=str(home),
        INTENT_BUS_URL=server.url,
        INTENT_BUS_API_KEY=key,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def test_readme_starts_with_the_two_setup_commands() -> None:
    commands = blocks("bash")[:2]
    assert "intent-bus server" in commands[0]
    assert "pip install" in commands[0]
    # Later `intent-bus ...` lines work as pasted only in an activated venv.
    assert ". .venv/bin/activate" in commands[0]
    assert ". .venv/bin/activate" in blocks("bash")[2]
    assert commands[1].strip() == "bash scripts/test"
    ci = (README.parent / ".ci" / "run").read_text()
    assert "bash scripts/test" in ci


def test_readme_curl_quickstart(sqlite_server: ServerHandle) -> None:
    """Each curl line of the quickstart, with the values the earlier ones printed."""
    script = block_containing("bash", "curl")
    commands = [c for c in re.split(r"\n(?!\s)", script) if c.startswith("curl")]
    url = sqlite_server.url.removeprefix("http://")
    values = {"$ADMIN": sqlite_server.admin_key}
    outputs = []
    for command in commands:
        command = command.replace("\\\n", " ").replace("localhost:8000", url)
        for placeholder, value in values.items():
            command = command.replace(placeholder, value)
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, check=True
        )
        answer = json.loads(done.stdout)
        outputs.append(answer)
        if "api_key" in answer:
            values["$KEY"] = answer["api_key"]
        if "claim_token" in answer:
            values["INTENT_ID"] = answer["id"]
            values["TOKEN"] = answer["claim_token"]
    assert outputs[-1]["status"] == "fulfilled"
    assert outputs[-1]["result"] == {"ok": True}


def test_readme_sdk_quickstart(
    sqlite_server: ServerHandle, tenant_key: str, tmp_path: Path
) -> None:
    code = block_containing("python", "client.publish")
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=environment(sqlite_server, tenant_key, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Published Job ID: " in done.stdout
    assert "{'status': 'success'}" in done.stdout


def test_readme_worker_example(
    sqlite_server: ServerHandle, tenant_key: str, tmp_path: Path
) -> None:
    code = block_containing("python", "WorkerRuntime(")
    worker = subprocess.Popen(
        [sys.executable, "-c", code],
        env=environment(sqlite_server, tenant_key, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        headers = {"X-API-KEY": tenant_key}
        job = httpx.post(
            f"{sqlite_server.url}/intent",
            json={
                "goal": "process_image",
                "payload": {"url": "x"},
                "namespace": "media",
            },
            headers=headers,
        ).json()
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            status = httpx.get(
                f"{sqlite_server.url}/result/{job['id']}", headers=headers
            ).json()
            if status["status"] == "fulfilled":
                break
            time.sleep(0.05)
        assert status is not None and status["status"] == "fulfilled"
        assert status["result"] == {"status": "success", "file": "out.png"}
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "Processing: x" in out


def test_readme_cli_examples(
    sqlite_server: ServerHandle, tenant_key: str, tmp_path: Path
) -> None:
    """The one-shot commands run to completion; the listeners process an intent."""
    env = environment(sqlite_server, tenant_key, tmp_path)
    env["INTENT_BUS_ADMIN_KEY"] = sqlite_server.admin_key
    script = tmp_path / "resize.sh"
    script.write_text("#!/bin/sh\ncat\n")
    script.chmod(0o755)
    lines = [
        line.split("  #")[0].strip()
        for line in block_containing("bash", "intent-bus publish").splitlines()
        if line.startswith("intent-bus")
    ]
    published = None
    for line in lines:
        if line.startswith("intent-bus listen"):
            continue
        line = line.replace(" ID", f" {published}") if published else line
        done = subprocess.run(
            line, shell=True, env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, (line, done.stderr)
        if line.startswith("intent-bus publish"):
            published = done.stdout.strip().split()[-1]
        if "kv get" in line:
            assert json.loads(done.stdout) == {"v": 2}
    listeners = [line for line in lines if line.startswith("intent-bus listen")]
    for line, goal, namespace in zip(
        listeners, ["process_image", "resize"], ["media", "default"], strict=True
    ):
        job = (
            subprocess.run(
                ["intent-bus", "publish", goal, '{"n": 1}', "-n", namespace],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .split()[-1]
        )
        listener = subprocess.Popen(
            line,
            shell=True,
            env=env,
            cwd=tmp_path,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            done = subprocess.run(
                ["intent-bus", "result", job, "--wait", "30", "--json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["status"] == "fulfilled"
        finally:
            os.killpg(listener.pid, signal.SIGTERM)
            listener.communicate(timeout=30)


def test_readme_activation_line_puts_intent_bus_on_path() -> None:
    """The README's `. .venv/bin/activate`, run in a fresh shell in the checkout."""
    root = README.parent
    if not (root / ".venv" / "bin" / "activate").exists():
        pytest.skip("no .venv in the checkout (made by scripts/install)")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    env["PATH"] = "/usr/bin:/bin"
    done = subprocess.run(
        ["bash", "-c", blocks("bash")[2] + "\nintent-bus --version"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("intent-bus ")


def test_readme_names_the_three_versions() -> None:
    text = " ".join(README.read_text().split())
    assert f"`{PROTOCOL_VERSION}`" in text and "Intent Protocol v2.1" in text
    assert "intent-bus --version" in text
