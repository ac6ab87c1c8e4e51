"""The URLconf of the workspace's lean messages service (``wsgi_messages``): its hot paths are
matched first (the unread badge, and the API's workspace operations, the same ninja views), then
the site's URLconf (``ROOT_URLCONF``, named at run time), so every name still reverses. Through
the site's URLconf the badge is tried against every module's patterns, and an API call against
every router's operations, before the workspace's (about a millisecond per request)."""

from django.conf import settings
from django.urls import include, path

from zhengtong.api import api
from zhengtong.workspace import views

_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("workspace/messages/unread.json", views.unread),
    # Without the API's namespace: a second instance of it would hide its other names from reverse().
    path("api/v1/", include([p for p in _patterns if str(p.pattern).startswith("workspace/")])),
    path("", include(settings.ROOT_URLCONF)),
]
