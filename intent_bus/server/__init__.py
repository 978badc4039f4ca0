"""The Intent Bus server: `create_app` in app.py, `main` in run.py."""

from __future__ import annotations
