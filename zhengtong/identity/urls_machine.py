"""The URLconf of the identity centre's lean service (``wsgi_oidc``): its machine endpoints are
matched first, then the API (which is first in the site's URLconf anyway), then the site's
patterns, so every name still reverses. Matching ``/oidc/userinfo`` through the site's URLconf
tries every module's patterns before the identity centre's (about a millisecond per request)."""

from django.urls import path

from zhengtong import urls as site
from zhengtong.identity.views import oidc

urlpatterns = [
    path("oidc/token", oidc.token),
    path("oidc/userinfo", oidc.userinfo),
    path("oidc/introspect", oidc.introspect),
    path("oidc/revoke", oidc.revoke),
    *site.urlpatterns,
]

handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500
