"""The URLconf of the identity centre's lean service (``wsgi_oidc``): its machine endpoints are
matched first, then the site's URLconf (``ROOT_URLCONF``, named at run time), so every name still
reverses. Matching ``/oidc/userinfo`` through the site's URLconf tries every module's patterns
before the identity centre's (about a millisecond per request)."""

from django.conf import settings
from django.urls import include, path

from zhengtong.identity.views import oidc

urlpatterns = [
    path("oidc/token", oidc.token),
    path("oidc/userinfo", oidc.userinfo),
    path("oidc/introspect", oidc.introspect),
    path("oidc/revoke", oidc.revoke),
    path("", include(settings.ROOT_URLCONF)),
]
