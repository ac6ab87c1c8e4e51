from django.contrib import admin
from django.urls import include, path

from zhengtong.api import api
from zhengtong.portal.views.auth import admin_login

admin.site.site_header = "Zhengtong 政通"
admin.site.site_title = "Zhengtong"
# The admin signs in through the portal's login and its second step (accounts.signin), never alone.
admin.site.login = admin_login

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("zhengtong.portal.urls")),
    path("", include("zhengtong.catalog.compat.urls")),
    # Each module's pages and compatibility endpoints (CKAN /api/3, Open311 /open311/v2, ...).
    *[
        path("", include(f"zhengtong.{module}.urls"))
        for module in (
            "privacy",
            "seals",
            "catalog",
            "services",
            "sharing",
            "payments",
            "notify",
            "workorders",
            "codes",
            "grid",
            "sandbox",
            "credit",
            "supervision",
            "identity",
            "workspace",
            "datause",
            "cockpit",
            "opengov",
        )
    ],
]

handler400 = "zhengtong.portal.views.errors.bad_request"
handler403 = "zhengtong.portal.views.errors.forbidden"
handler404 = "zhengtong.portal.views.errors.not_found"
handler500 = "zhengtong.portal.views.errors.server_error"
