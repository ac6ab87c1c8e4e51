"""What the workspace's pages share."""

from __future__ import annotations

from pathlib import Path

from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError

SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "workspace" / "sw.js"
ERRORS = (ValidationError, PermissionDenied, Conflict, NotFound)


def parse_int(value, default=None):
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else default
