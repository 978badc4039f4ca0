"""`intent-bus server` on an install without the server's extras: one clear
line naming the extra to install, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# Runs the CLI with `blocked` made unimportable, as on an SDK-only install.
SCRIPT = """
import sys
from importlib.abc import MetaPathFinder

class Block(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == sys.argv[1]:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Block())
from intent_bus.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    ("blocked", "db", "extra"),
    [
        ("uvicorn", "sqlite:///bus.db", "server"),
        ("msgspec", "sqlite:///bus.db", "server"),
        ("psycopg", "postgresql://nobody@127.0.0.1:1/none", "postgres"),
    ],
)
def test_missing_extra_is_named_in_one_line(
    tmp_path: Path, blocked: str, db: str, extra: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, blocked, "server", "--port", "0", "--db", db],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"pip install 'intent-bus[{extra}]'" in lines[0]
