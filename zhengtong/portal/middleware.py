from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation

from zhengtong.core.errors import AuthenticationRequired, ZhengtongError, retry_after_header

ELDER_COOKIE = "zt_elder"


class LanguageMiddleware(LocaleMiddleware):
    """Pages: zh-Hans unless the person chose otherwise (the language cookie set by the switch).

    Django's LocaleMiddleware would follow the browser's Accept-Language first; a government
    portal answers in the official language by default and lets people switch.
    """

    def process_request(self, request):
        if request.path.startswith("/api/"):
            # Programs ask for a language explicitly (Accept-Language); keep Django's behaviour.
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


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
        ctx = {"status": exception.status, "message": exception.message}
        response = render(request, "portal/error.html", ctx, status=exception.status)
        for header, value in retry_after_header(exception).items():
            response[header] = value
        return response
