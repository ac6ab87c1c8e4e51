"""A dedicated service for the workspace's hot JSON paths, deployed like the identity centre's
machine endpoints (``identity/wsgi_oidc.py``): its own WSGI application, the reverse proxy sending
only these paths to it:

    gunicorn zhengtong.workspace.wsgi_messages:application -w 3 -k sync

    /api/v1/workspace/…            (sending and reading messages, unread counts, the rest of the API)
    /workspace/messages/unread.json (the badge every workspace page polls)

The same Django views (same answers, refusals and audit events) behind a shorter middleware
stack (``core.leanwsgi.lean_application``, with the session: staff are signed in). Kept: security headers, the request context (id, client address, the request count),
the session (``cached_db``: the shared cache, the database on a miss), CSRF, authentication
(the person and their grants kept per process as for bearer calls, ``ACCOUNTS_USER_CACHE_SECONDS``,
dropped by any save of them: ``accounts.middleware.CachedAuthenticationMiddleware``) and the second-factor check, the preferences (domain
errors of the unread badge become proper answers) and the language (error messages
are translated). Dropped, since only HTML pages need them: the content-security policy,
whitenoise, gzip (the answers are small), ``CommonMiddleware``, messages,
clickjacking and axes (it guards the sign-in form, which is not served here). Anything else is a
404 here.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
django.setup()

from zhengtong.core.leanwsgi import lean_application  # noqa: E402

PATHS = ("/workspace/messages/unread.json",)
PREFIXES = ("/api/v1/workspace/",)
MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "zhengtong.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhengtong.portal.middleware.PreferencesMiddleware",
    "zhengtong.portal.middleware.LanguageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zhengtong.accounts.middleware.SecondFactorMiddleware",
)

# The session's user and their grants from a short per-process cache instead of two queries a request.
REPLACE = {
    "django.contrib.auth.middleware.AuthenticationMiddleware": (
        "zhengtong.accounts.middleware.CachedAuthenticationMiddleware"
    ),
}

application = lean_application(
    paths=PATHS,
    prefixes=PREFIXES,
    middleware=MIDDLEWARE,
    sessions=True,
    replace=REPLACE,
    urlconf="zhengtong.workspace.urls_messages",
)
