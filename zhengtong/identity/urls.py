from django.urls import path

from zhengtong.identity.views import oidc, pages

app_name = "identity"

urlpatterns = [
    path(".well-known/openid-configuration", oidc.discovery, name="discovery"),
    path("oidc/jwks.json", oidc.jwks, name="jwks"),
    path("oidc/authorize", oidc.authorize, name="authorize"),
    path("oidc/token", oidc.token, name="token"),
    path("oidc/userinfo", oidc.userinfo, name="userinfo"),
    path("oidc/introspect", oidc.introspect, name="introspect"),
    path("oidc/revoke", oidc.revoke, name="revoke"),
    path("oidc/logout", oidc.end_session, name="end_session"),
    path("account/authorizations/", pages.my_authorizations, name="my_authorizations"),
    path("account/authorizations/<int:consent_id>/revoke/", pages.consent_revoke, name="consent_revoke"),
    path("console/identity/clients/", pages.clients, name="clients"),
    path("console/identity/clients/<int:pk>/", pages.client_action, name="client_action"),
    path("console/identity/clients/<int:pk>/edit/", pages.client_edit, name="client_edit"),
]
