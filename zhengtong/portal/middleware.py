from __future__ import annotations

from django.http import HttpResponseForbidden, HttpResponseNotFound
from django.shortcuts import render

from zhengtong.core.errors import AuthenticationRequired, NotFound, PermissionDenied, ZhengtongError

ELDER_COOKIE = "zt_elder"


class PreferencesMiddleware:
    """Elder-friendly mode: from the cookie (anyone) so it persists across visits and logins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.elder_mode = request.COOKIES.get(ELDER_COOKIE) == "1"
        return self.get_response(request)

    def process_exception(self, request, exception):
        """Domain errors raised from HTML views become proper pages, never a 500."""
        if request.path.startswith("/api/") or not isinstance(exception, ZhengtongError):
            return None
        if isinstance(exception, AuthenticationRequired):
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        template = "portal/error.html"
        ctx = {"status": exception.status, "message": exception.message}
        response = render(request, template, ctx, status=exception.status)
        if isinstance(exception, PermissionDenied | NotFound):
            return response
        return response


__all__ = ["PreferencesMiddleware", "HttpResponseForbidden", "HttpResponseNotFound"]
