"""The error codes the grid module sends (beyond ``core.errors.CoreError``)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class GridError(ErrorCode):
    OUTSIDE_GRID = (
        "outside_grid",
        "the location is outside every grid cell, or outside the client's jurisdiction",
    )
    UNKNOWN_CATEGORY = "unknown_category", "no active incident category with that code"
