"""The modules `intent-bus server` names when one is missing are exactly the
third-party modules the server and storage import, each brought by the extra
named for it; nothing else is in the server's extras."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from intent_bus.cli.server import _EXTRAS

ROOT = Path(__file__).resolve().parents[3]


def _third_party_imports(*packages: str) -> set[str]:
    found: set[str] = set()
    for package in packages:
        for path in (ROOT / "intent_bus" / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    found.add((node.module or "").split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names} - {"intent_bus"}


def _provided(requirement: str) -> set[str]:
    """Modules a requirement brings: `psycopg[binary,pool]` -> psycopg,
    psycopg_binary, psycopg_pool (psycopg's extras are packages of their own)."""
    match = re.match(r"([A-Za-z0-9_.-]+)(?:\[([^\]]*)\])?", requirement)
    assert match is not None, requirement
    name = match.group(1).replace("-", "_").lower()
    extras = [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
    return {name} | {f"{name}_{extra}" for extra in extras}


def test_the_named_modules_are_the_ones_the_server_imports() -> None:
    assert set(_EXTRAS) == _third_party_imports("server", "storage")


def test_each_extra_brings_its_modules_and_nothing_unused() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for module, extra in _EXTRAS.items():
        provided = set().union(*(_provided(r) for r in extras[extra]))
        assert module in provided, (module, extra)
    # tzdata is never imported: it is the time-zone database that the
    # standard library's zoneinfo reads where the system has none.
    used = set(_EXTRAS) | {"tzdata"}
    for extra in ("server", "postgres"):
        for requirement in extras[extra]:
            assert _provided(requirement) & used, (extra, requirement)
