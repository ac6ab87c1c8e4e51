"""Phone: the web app manifest, the service worker, push subscriptions."""

from __future__ import annotations

import json

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from zhengtong.core.access import authenticated, public
from zhengtong.core.errors import ZhengtongError
from zhengtong.workspace import services
from zhengtong.workspace.views.common import SERVICE_WORKER


@public
def manifest(request):
    data = {
        "name": _("Zhengtong workspace"),
        "short_name": _("Workspace"),
        "start_url": reverse("workspace:home"),
        "scope": "/workspace/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b71c1c",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": reverse("workspace:icon"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}
        ],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")


ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 192 192"><rect width="192" height="192" rx="32" '
    'fill="#b71c1c"/><text x="96" y="128" font-size="96" text-anchor="middle" fill="#fff" '
    'font-family="sans-serif">政</text></svg>'
)


@public
def icon(request):
    return HttpResponse(ICON, content_type="image/svg+xml")


@public
def service_worker(request):
    """The service worker, served under /workspace/ so its scope is the workspace."""
    response = HttpResponse(SERVICE_WORKER.read_text(encoding="utf-8"), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/workspace/"
    response["Cache-Control"] = "no-cache"
    return response


@authenticated
def push_subscription(request):
    """POST a PushSubscription.toJSON() body to subscribe this browser; DELETE to unsubscribe."""
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return JsonResponse(
            {"error": {"code": "validation_error", "message": "JSON object expected"}}, status=422
        )
    try:
        if request.method == "DELETE":
            services.push_unsubscribe(actor=request.user, endpoint=str(body.get("endpoint", "")))
            return JsonResponse({"ok": True})
        if request.method != "POST":
            return JsonResponse({"error": {"code": "bad_request", "message": "POST or DELETE"}}, status=405)
        keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
        services.push_subscribe(
            actor=request.user,
            endpoint=str(body.get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
        )
    except ZhengtongError as exc:
        return JsonResponse({"error": {"code": str(exc.code), "message": exc.message}}, status=exc.status)
    return JsonResponse({"ok": True}, status=201)
