"""CKAN Action API (``/api/3/action/<name>``, also ``/api/action/<name>`` as ckanapi calls it).

Read-only actions, CKAN's envelope and statuses: ``{"help", "success": true, "result"}`` or
``{"help", "success": false, "error": {"__type", "message", <field>: [...]}}`` with 404 Not Found
Error, 409 Validation Error, 403 Authorization Error, 400 for an unknown action or bad JSON.

Mapping: a CKAN package is a ``DataResource``; an organization is a department; a group is a
domain; tags are keywords; each package has one datastore resource (id = the package name)
holding its current version.

The package: ``dicts`` (packages, resources, organizations and groups as CKAN shapes), ``search``
(package_search, fq/q parsing), ``actions`` (the other catalogue actions), ``datastore``
(datastore_search); this module holds the view, the envelope and the table of actions.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from zhengtong.catalog import selectors
from zhengtong.catalog.compat import common
from zhengtong.catalog.compat.ckan.actions import (
    current_package_list_with_resources,
    group_list,
    group_show,
    organization_list,
    organization_show,
    package_autocomplete,
    package_list,
    package_show,
    resource_show,
    status_show,
    tag_list,
)
from zhengtong.catalog.compat.ckan.datastore import datastore_info, datastore_search
from zhengtong.catalog.compat.ckan.search import package_search, parse_fq
from zhengtong.catalog.licences import license_list as _registry_licences
from zhengtong.core.access import public
from zhengtong.core.errors import (
    AuthenticationRequired,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
    ZhengtongError,
    retry_after_header,
)

ERROR_TYPES = {
    NotFound: (404, "Not Found Error"),
    ValidationError: (409, "Validation Error"),
    PermissionDenied: (403, "Authorization Error"),
    AuthenticationRequired: (403, "Authorization Error"),
    RateLimited: (429, "Rate Limit Error"),
}


def _help(request, name: str) -> str:
    return request.build_absolute_uri("/api/3/action/help_show") + "?" + urlencode({"name": name})


def _params(request) -> dict:
    if request.method == "POST" and request.body:
        content_type = request.content_type or ""
        if "json" in content_type or request.body[:1] in (b"{", b"["):
            try:
                data = json.loads(request.body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise _BadRequest(f"JSON Error: {exc}") from None
            except RecursionError:
                raise _BadRequest("JSON Error: the request body is nested too deeply") from None
            if not isinstance(data, dict):
                raise _BadRequest("JSON Error: the request body must be a JSON object")
            return data
        return {k: (v[0] if len(v) == 1 else v) for k, v in request.POST.lists()}
    return {k: (v[0] if len(v) == 1 else v) for k, v in request.GET.lists()}


class _BadRequest(Exception):
    pass


@csrf_exempt
@public
def action(request, name: str):
    help_url = _help(request, name)
    handler = ACTIONS.get(name)
    if handler is None:
        # CKAN answers an unknown action with a bare JSON string, not the envelope.
        return JsonResponse(f"Bad request - Action name not known: {name}", status=400, safe=False)
    if request.method not in ("GET", "POST"):
        return _error(help_url, 400, "Bad Request", "Bad request - only GET and POST are supported")
    try:
        data = _params(request)
        data.pop("callback", None)
        user = common.request_user(request)
        common.rate_limit(request, user)
        result = handler(request, user, data)
    except _BadRequest as exc:
        return _error(help_url, 400, "Bad Request", f"Bad request - {exc}")
    except ZhengtongError as exc:
        status, kind = next(
            (pair for cls, pair in ERROR_TYPES.items() if isinstance(exc, cls)), (400, "Bad Request")
        )
        extra = {}
        if isinstance(exc, ValidationError):
            extra = dict(exc.fields)
        response = _error(help_url, status, kind, exc.message, **extra)
        for header, value in retry_after_header(exc).items():
            response[header] = value
        return response
    return JsonResponse(
        {"help": help_url, "success": True, "result": result},
        json_dumps_params={"ensure_ascii": False},
    )


def _error(help_url, status, kind, message, **fields):
    body = {"help": help_url, "success": False, "error": {"__type": kind, "message": message, **fields}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def help_show(request, user, data):
    """The documentation of an action (name)."""
    name = str(data.get("name") or "")
    if name not in ACTIONS:
        raise NotFound(f"Action not found: {name}")
    return (ACTIONS[name].__doc__ or "").strip()


@public
def api_version(request, version: int = 3):
    """``/api/3`` (and ``/api``): the API version, as CKAN answers it."""
    return JsonResponse({"version": version})


@public
def dataset_page_redirect(request, name: str):
    """CKAN's /dataset/<name> page address: a permanent redirect to the portal's page of a
    dataset the caller may see (404 otherwise, like the page itself)."""
    try:
        resource = selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None
    return HttpResponsePermanentRedirect(reverse("catalog:dataset", args=[resource.name]))


def license_list(request, user, data):
    """The licences datasets here may carry (the licence registry)."""
    return _registry_licences()


ACTIONS = {
    "package_list": package_list,
    "package_search": package_search,
    "package_show": package_show,
    "resource_show": resource_show,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "group_show": group_show,
    "tag_list": tag_list,
    "status_show": status_show,
    "help_show": help_show,
    "datastore_search": datastore_search,
    "datastore_info": datastore_info,
    "license_list": license_list,
    "current_package_list_with_resources": current_package_list_with_resources,
    "package_autocomplete": package_autocomplete,
}


__all__ = ["ACTIONS", "action", "api_version", "dataset_page_redirect", "parse_fq"]
