"""Imports flow one way: the client side never loads the server's stack, each
package imports only the layers below it, and no module imports itself back."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

FORBIDDEN = (
    "starlette",
    "uvicorn",
    "msgspec",
    "psycopg",
    "cryptography",
    "intent_bus.server",
    "intent_bus.storage",
)

CLIENT_MODULES = [
    "intent_bus",
    "intent_bus.sdk.client",
    "intent_bus.sdk.async_client",
    "intent_bus.worker",
    "intent_bus.cli.main",
]

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
if sys.argv[1] == "intent_bus":
    import intent_bus
    intent_bus.IntentClient, intent_bus.AsyncIntentClient, intent_bus.IntentBusError
print(json.dumps(sorted(sys.modules)))
"""


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("module", CLIENT_MODULES)
def test_client_side_never_imports_the_server_stack(module: str) -> None:
    if not _exists(module):
        pytest.skip(f"{module} does not exist yet")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    loaded = json.loads(out)
    leaked = [
        name
        for name in loaded
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]
    assert leaked == [], f"importing {module} loaded {leaked}"


# ---------------------------------------------------------------- the whole house
#
# Every module under intent_bus/ is parsed (not imported), and every import in it
# counts: top level, inside functions and under TYPE_CHECKING alike. Rules go by
# package prefix, so moving files inside a package changes nothing here.

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "intent_bus"

OURS = "intent_bus"
PROTOCOL = "intent_bus.protocol"
VERSION = "intent_bus._version"
SDK = "intent_bus.sdk"
WORKER = "intent_bus.worker"
CLI = "intent_bus.cli"
SERVER = "intent_bus.server"
STORAGE = "intent_bus.storage"

ALLOWED: dict[str, frozenset[str]] = {
    # The wire contract and the version depend on nothing of ours.
    PROTOCOL: frozenset(),
    VERSION: frozenset(),
    # protocol <- storage <- server
    STORAGE: frozenset({PROTOCOL, STORAGE}),
    SERVER: frozenset({PROTOCOL, VERSION, STORAGE, SERVER}),
    # protocol <- sdk <- worker <- cli
    SDK: frozenset({PROTOCOL, VERSION, SDK}),
    WORKER: frozenset({PROTOCOL, VERSION, SDK, WORKER}),
    CLI: frozenset({OURS, PROTOCOL, VERSION, SDK, WORKER, CLI, SERVER, STORAGE}),
    # The package itself is the public facade over the client side.
    OURS: frozenset({VERSION, SDK, WORKER}),
}

KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset({})
"""(importer, imported) edges that break a rule today, each with its reason;
remove an entry once the code is fixed (the test fails on a stale entry)."""


def _module_names() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE_ROOT.rglob("*.py"):
        parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = _module_names()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve(module: str, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.split(".")
    # A package's own module is its __init__: level 1 means the package itself.
    drop = level - 1 if _is_package(module) else level
    base = base[: len(base) - drop] if drop else base
    return ".".join([*base, target] if target else base)


def _ours(name: str) -> str | None:
    """The module of ours that importing `name` loads, or None if not ours."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node.level, node.module)
            # `from pkg import sub` imports the module pkg.sub when there is one.
            names = [
                f"{source}.{alias.name}"
                if f"{source}.{alias.name}" in MODULES
                else source
                for alias in node.names
            ]
        else:
            continue
        found.update(ours for name in names if (ours := _ours(name)) is not None)
    found.discard(module)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _layer(module: str) -> str:
    for prefix in sorted(ALLOWED, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    raise AssertionError(f"{module} belongs to no layer: add it to ALLOWED")


def _in(module: str, layers: frozenset[str]) -> bool:
    return _layer(module) in layers


def test_the_import_graph_sees_the_whole_package() -> None:
    assert {PROTOCOL, f"{SDK}.client", f"{SERVER}.app", f"{CLI}.main"} <= set(GRAPH)
    assert PROTOCOL in GRAPH[f"{SDK}.calls"]
    assert f"{SDK}.client" in GRAPH[OURS]  # a TYPE_CHECKING import counts


def test_every_import_follows_the_layers() -> None:
    broken = {
        (module, imported)
        for module, imports in GRAPH.items()
        for imported in imports
        if not _in(imported, ALLOWED[_layer(module)])
    }
    assert broken - KNOWN_VIOLATIONS == set()
    assert KNOWN_VIOLATIONS - broken == set(), "fixed: drop from KNOWN_VIOLATIONS"


def _cycles() -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(GRAPH[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles_anywhere() -> None:
    assert _cycles() == []
