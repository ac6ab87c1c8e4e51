from django.contrib import admin
from django.urls import include, path

from zhengtong.api import api

admin.site.site_header = "Zhengtong 政通"
admin.site.site_title = "Zhengtong"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("zhengtong.portal.urls")),
]

handler403 = "zhengtong.portal.views.errors.forbidden"
handler404 = "zhengtong.portal.views.errors.not_found"
handler500 = "zhengtong.portal.views.errors.server_error"
