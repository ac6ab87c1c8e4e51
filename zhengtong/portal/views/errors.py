from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from zhengtong.core.errors import CoreError

# Machine endpoints (the REST API, the CKAN and Open311 compatibility layers, the data feeds)
# promised JSON: their 400 and 500 answers are JSON in the body shape each layer uses, never a page.
_MACHINE_PREFIXES = ("/api/", "/open311/")
_MACHINE_SUFFIXES = (".json", ".jsonld", ".ttl", ".xml", ".csv")


def _machine_error(request, status: int) -> HttpResponse | None:
    path = request.path
    if not (path.startswith(_MACHINE_PREFIXES) or path.endswith(_MACHINE_SUFFIXES)):
        return None
    if status == 500:
        code, message = CoreError.SERVER_ERROR, _("Something went wrong on our side")
    else:
        code, message = CoreError.BAD_REQUEST, _("This request could not be completed")
    if path.startswith(("/api/3/", "/api/action/")):
        kind = "Internal Server Error" if status == 500 else "Bad Request"
        body = {"success": False, "error": {"__type": kind, "message": message}}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if path.startswith("/open311/"):
        body = [{"code": status, "description": message}]
        return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    body = {"error": {"code": code, "message": message, "details": {}}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception=None):
    return _machine_error(request, 400) or render(
        request, "portal/error.html", {"status": 400, "message": ""}, status=400
    )


def forbidden(request, exception=None):
    return render(request, "portal/error.html", {"status": 403, "message": ""}, status=403)


def not_found(request, exception=None):
    if request.path.startswith("/api/v1/"):
        # A path no REST operation matches (e.g. /api/v1/registry/persons/abc for an integer id):
        # the API's own 404 body, never a page (found by the Schemathesis fuzzer, issue 17).
        body = {"error": {"code": CoreError.NOT_FOUND, "message": "not found", "details": {}}}
        return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
    return render(request, "portal/error.html", {"status": 404, "message": ""}, status=404)


def server_error(request):
    return _machine_error(request, 500) or render(
        request, "portal/error.html", {"status": 500, "message": ""}, status=500
    )
