"""The version is written once, in intent_bus/_version.py."""

from __future__ import annotations

from pathlib import Path

import tomllib

import intent_bus
from intent_bus._version import __version__
from intent_bus.sdk.core import USER_AGENT

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


def test_pyproject_reads_the_version_from_the_package() -> None:
    project = tomllib.loads(PYPROJECT.read_text())
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "intent_bus._version.__version__"}


def test_package_and_user_agent_carry_the_one_version() -> None:
    assert intent_bus.__version__ == __version__
    assert USER_AGENT == f"intent-bus-python/{__version__}"
