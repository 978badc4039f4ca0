"""Storage knows nothing above it: of our own code it imports only the wire
facts (`intent_bus.protocol`) and its own package, type-only imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import intent_bus.storage

ALLOWED = ("intent_bus.protocol", "intent_bus.storage")


def _our_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "intent_bus"}


def test_storage_imports_only_protocol_and_itself() -> None:
    root = Path(intent_bus.storage.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 10
    leaks = {
        str(path.relative_to(root)): sorted(
            name
            for name in _our_imports(path)
            if not any(name == a or name.startswith(a + ".") for a in ALLOWED)
        )
        for path in modules
    }
    assert {path: names for path, names in leaks.items() if names} == {}
