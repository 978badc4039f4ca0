"""The package version, written once: pyproject.toml reads it from here."""

from __future__ import annotations

__version__ = "2.2.0"
