"""Per-request (or per-task) context: request id, client IP, actor; read by the audit trail."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None = None
    channel: str = "web"  # web, api, cli, task


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("zt_request", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        return RequestContext(request_id=f"local-{uuid.uuid4().hex[:12]}", channel="cli")
    return ctx


def activate(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)
