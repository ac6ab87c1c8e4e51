"""Sessions that skipped the second factor are signed out before any view runs."""

from __future__ import annotations

from django.contrib.auth import logout

from zhengtong.accounts import signin


class SecondFactorMiddleware:
    """After ``AuthenticationMiddleware``: a session whose user has TOTP on but which never passed
    ``signin.sign_in_second_factor`` (a ``login()`` outside ``accounts.signin``, a session from
    before TOTP was turned on) is flushed, so the request continues as anonymous."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if signin.second_factor_missing(request):
            logout(request)
        return self.get_response(request)
