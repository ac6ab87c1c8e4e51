from __future__ import annotations

import contextvars
import ipaddress
import re
import uuid

from django.conf import settings

from zhengtong.core import context, ratelimit

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Every answer is counted by channel and status class in hourly counters of the one counter
# mechanism (core.ratelimit, in the shared cache), kept two days: the cockpit's worker copies
# them into its store (platform.error_rate). Tallied per process and added to the shared counters
# about once a second (``ratelimit.tally``): no cache round trip per request, no log parsing.
REQUEST_COUNT_SCOPE = "requests"
REQUEST_COUNT_WINDOW_SECONDS = 3600
REQUEST_COUNT_KEEP_SECONDS = 2 * 86400
CHANNELS = ("web", "api")
STATUS_CLASSES = (1, 2, 3, 4, 5)


def request_count_key(channel: str, status_class: int) -> str:
    return f"{channel}:{status_class}xx"


def client_ip(request) -> str | None:
    """The client's address. Behind ``TRUSTED_PROXY_COUNT`` proxies (nginx, a load balancer) it is
    the address those proxies appended to X-Forwarded-For, counted from the right: entries further
    left were written by the client and cannot be trusted."""
    return client_ip_from(request.META)


def client_ip_from(meta) -> str | None:
    """``client_ip`` from a request's META or a WSGI environ (the lean WSGI services)."""
    hops = settings.TRUSTED_PROXY_COUNT
    remote = meta.get("REMOTE_ADDR")
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    candidate = forwarded[-hops]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


class ContentSecurityPolicyMiddleware:
    """Sets ``CONTENT_SECURITY_POLICY`` as the Content-Security-Policy header of every response
    (unless the view set one). Pages load their scripts from static files only, so the policy needs
    no ``'unsafe-inline'`` for scripts. Django's debug 500 page (``DEBUG`` only) has inline scripts
    and is left without the header."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        debug_error_page = settings.DEBUG and response.status_code >= 500
        if self.policy and "Content-Security-Policy" not in response and not debug_error_page:
            response["Content-Security-Policy"] = self.policy
        return response


def request_begin(request) -> tuple[contextvars.Token, str]:
    """What every request goes through first (``RequestContextMiddleware``, and the lean services'
    fast paths, ``core.leanwsgi``): the client address resolved once (so login throttling and the
    audit trail agree), ``request.request_id`` (kept from X-Request-ID when well-formed) and the
    request context activated. Returns the context's token (for ``context.deactivate``) and the
    channel the answer is counted under (``request_count``)."""
    ip = client_ip(request)
    if ip:
        request.META["REMOTE_ADDR"] = ip
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")  # request.headers would build every header
    request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    channel = "api" if request.path.startswith("/api/") else "web"
    token = context.activate(
        context.RequestContext(
            request_id=request.request_id, ip=request.META.get("REMOTE_ADDR"), channel=channel
        )
    )
    return token, channel


def request_count(channel: str, status: int) -> None:
    """Count an answer for the cockpit (tallied in the process, see REQUEST_COUNT_SCOPE)."""
    ratelimit.tally(
        REQUEST_COUNT_SCOPE,
        request_count_key(channel, min(5, max(1, status // 100))),
        window_seconds=REQUEST_COUNT_WINDOW_SECONDS,
        keep_seconds=REQUEST_COUNT_KEEP_SECONDS,
    )


class RequestContextMiddleware:
    """Gives each request an id (kept from X-Request-ID when well-formed) for logs and the audit
    trail, and resolves the client address once so login throttling and the audit trail agree
    (``request_begin``); answers carry X-Request-ID and are counted (``request_count``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token, channel = request_begin(request)
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = request.request_id
        request_count(channel, response.status_code)
        return response
