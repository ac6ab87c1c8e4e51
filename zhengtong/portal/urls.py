from django.urls import path

from zhengtong.portal.views import audit, auth, pages, registry

app_name = "portal"

urlpatterns = [
    path("", pages.home, name="home"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("login/", auth.login_view, name="login"),
    path("login/otp/", auth.login_otp, name="login_otp"),
    path("register/", auth.register, name="register"),
    path("logout/", auth.logout_view, name="logout"),
    path("preferences/", auth.preferences, name="preferences"),
    path("account/", pages.account, name="account"),
    path("account/tokens/<int:token_id>/revoke/", pages.token_revoke, name="token_revoke"),
    path("account/two-step/", pages.totp_setup, name="totp"),
    path("console/", pages.console, name="console"),
    path("console/audit/", audit.audit_browser, name="audit"),
    path("console/registry/persons/", registry.persons, name="persons"),
    path("console/registry/persons/<int:person_id>/", registry.person_detail, name="person_detail"),
    path("console/registry/legal-entities/", registry.legal_entities, name="legal_entities"),
    path("console/registry/licences/", registry.licences, name="licences"),
    path("console/registry/licences/<int:licence_id>/", registry.licence_detail, name="licence_detail"),
    path("console/registry/import/", registry.registry_import, name="registry_import"),
    path("console/registry/corrections/", registry.corrections, name="corrections"),
    path(
        "console/registry/corrections/<int:correction_id>/",
        registry.correction_detail,
        name="correction_detail",
    ),
]
