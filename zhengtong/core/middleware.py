from __future__ import annotations

import re
import uuid

from zhengtong.core import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Gives each request an id (kept from X-Request-ID when well-formed) for logs and the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        channel = "api" if request.path.startswith("/api/") else "web"
        token = context.activate(
            context.RequestContext(request_id=request_id, ip=request.META.get("REMOTE_ADDR"), channel=channel)
        )
        request.request_id = request_id
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = request_id
        return response
