"""Open311 GeoReport v2 at /open311/v2/ (wiki.open311.org/GeoReport_v2), JSON and XML.

Field names and types follow the specification exactly. Errors use its format:
``[{"code": 400, "description": "..."}]`` and ``<errors><error><code>…</code><description>…
</description></error></errors>``. Public output never carries the reporter's personal data;
descriptions are scanned for identifiers, photos are served without metadata, and private
categories (disputes) are neither offered nor listed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from zhengtong.core import cache, ratelimit
from zhengtong.core.access import public
from zhengtong.core.errors import PermissionDenied, RateLimited, ValidationError
from zhengtong.core.middleware import client_ip
from zhengtong.grid import geo, services
from zhengtong.grid.models import CLOSED_STATES, Category, Incident
from zhengtong.privacy.detectors import scan_text

MAX_REQUESTS = 1000
DEFAULT_WINDOW_DAYS = 90
FIELD_NAMES = {
    "category": "service_code",
    "lat": "lat",
    "lng": "long",
    "location": "lat",
    "description": "description",
}

PUBLIC_CATEGORIES = "grid.open311_categories"
# Dates outside this window cannot name a report; outside it date arithmetic overflows.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
MAX_ID = 2**63 - 1
# Control characters besides tab and line breaks (a NUL cannot even be stored in PostgreSQL text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _parse_id(value: str) -> int | None:
    """An incident id as sent in a URL or list: ASCII digits within the database's bigint range."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 19 or int(value) > MAX_ID:
        return None
    return int(value)


def _public_categories() -> dict[str, Category]:
    return cache.cached(
        PUBLIC_CATEGORIES,
        "all",
        lambda: {c.code: c for c in Category.objects.filter(is_active=True, is_public=True)},
        30,
        local=True,
    )


def forget_categories(**_kwargs) -> None:
    """The categories changed (signal in wiring.py): every process reads them again."""
    cache.invalidate(PUBLIC_CATEGORIES)


# --- rendering ----------------------------------------------------------------------------


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _xml_element(tag: str, value: Any) -> str:
    if isinstance(value, list):
        # attributes -> attribute, values -> value, services -> service
        child = tag[:-1] if tag.endswith("s") else tag
        return f"<{tag}>" + "".join(_xml_element(child, item) for item in value) + f"</{tag}>"
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_xml_element(k, v) for k, v in value.items()) + f"</{tag}>"
    return f"<{tag}>{_xml_value(value)}</{tag}>"


def _render(fmt: str, payload: Any, *, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "json":
        return JsonResponse(
            payload,
            status=status,
            safe=False,
            json_dumps_params={"ensure_ascii": False},
            content_type="application/json; charset=utf-8",
        )
    if isinstance(payload, list):
        body = f"<{root}>" + "".join(_xml_element(item, row) for row in payload) + f"</{root}>"
    else:
        body = _xml_element(root, payload)
    return HttpResponse(
        '<?xml version="1.0" encoding="utf-8"?>' + body, status=status, content_type="text/xml; charset=utf-8"
    )


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _render(
        fmt, [{"code": status, "description": description}], root="errors", item="error", status=status
    )


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _scan(text: str) -> str:
    return scan_text(text)


def _request_dict(incident: Incident, request) -> dict[str, Any]:
    photos = list(incident.photos.all())  # prefetched on lists
    photo = photos[0] if photos else None
    agency = (
        incident.handling_department.name
        if incident.handling_department_id
        else (incident.handling_unit.name if incident.handling_unit_id else "")
    )
    return {
        "service_request_id": str(incident.pk),
        "status": "closed" if incident.state in CLOSED_STATES else "open",
        "status_notes": _scan(incident.status_notes or str(incident.state_label)),
        "service_name": incident.category.name,
        "service_code": incident.category.code,
        "description": _scan(incident.description),
        "agency_responsible": agency,
        "service_notice": _service_notice(incident),
        "requested_datetime": _iso(incident.reported_at),
        "updated_datetime": _iso(incident.updated_at),
        "expected_datetime": _iso(incident.due_at),
        "address": _scan(incident.address),
        "address_id": incident.cell.code if incident.cell_id else "",
        "zipcode": "",
        "lat": incident.lat,
        "long": incident.lng,
        "media_url": (
            request.build_absolute_uri(reverse("grid:photo", args=[photo.token]))
            if photo
            else incident.media_url
        ),
    }


def _service_notice(incident: Incident) -> str:
    """What the POST answered as service_notice; GET requests/{id} repeats it."""
    return _("Registered in %(grid)s; expected handling within the category's time limit.") % {
        "grid": incident.address
    }


def _jurisdiction_ok(request) -> bool:
    """jurisdiction_id is optional; one that is sent must be this endpoint's (GeoReport v2: an
    unknown jurisdiction is an error, 404)."""
    given = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    return not given or given == settings.GRID_OPEN311_JURISDICTION


def _read_only(request, fmt: str) -> HttpResponse | None:
    """PUT, DELETE, ... on a read-only resource: 405 in the specification's error format (the
    views are CSRF-exempt for this reason: nothing they accept changes state except the POST of a
    request, which an API key authorises)."""
    if request.method in ("GET", "HEAD"):
        return None
    response = _error(fmt, 405, _("method %s is not allowed here; use GET") % request.method)
    response["Allow"] = "GET, HEAD"
    return response


# --- views --------------------------------------------------------------------------------


@public
@csrf_exempt
def discovery(request, fmt: str):
    """The discovery document (GeoReport v2 "Service Discovery"): where the endpoint is and what
    it speaks."""
    refused = _read_only(request, fmt)
    if refused:
        return refused
    base = request.build_absolute_uri("/open311/v2/")
    payload = {
        "changeset": settings.GRID_OPEN311_CHANGESET,
        "contact": settings.GRID_OPEN311_CONTACT,
        # Keys are issued by the platform's staff (console); the contact says whom to ask.
        "key_service": settings.GRID_OPEN311_CONTACT,
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base.rstrip("/"),
                "changeset": settings.GRID_OPEN311_CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    if fmt == "xml":
        body = (
            "<discovery>"
            + "".join(_xml_element(k, payload[k]) for k in ("changeset", "contact", "key_service"))
            + "<endpoints><endpoint>"
            + "".join(_xml_element(k, v) for k, v in payload["endpoints"][0].items() if k != "formats")
            + "<formats>"
            + "".join(f"<format>{escape(f)}</format>" for f in payload["endpoints"][0]["formats"])
            + "</formats></endpoint></endpoints></discovery>"
        )
        return HttpResponse(
            '<?xml version="1.0" encoding="utf-8"?>' + body, content_type="text/xml; charset=utf-8"
        )
    return _render(fmt, payload, root="discovery", item="")


@public
@csrf_exempt
def services_list(request, fmt: str):
    refused = _read_only(request, fmt)
    if refused:
        return refused
    if not _jurisdiction_ok(request):
        return _error(fmt, 404, _("unknown jurisdiction_id"))
    rows = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description or c.name,
            "metadata": bool(c.attributes),
            "type": "realtime",
            "keywords": c.keywords,
            "group": c.group,
        }
        for c in sorted(_public_categories().values(), key=lambda c: c.code)
    ]
    return _render(fmt, rows, root="services", item="service")


@public
@csrf_exempt
def service_definition(request, code: str, fmt: str):
    refused = _read_only(request, fmt)
    if refused:
        return refused
    if not _jurisdiction_ok(request):
        return _error(fmt, 404, _("unknown jurisdiction_id"))
    category = _public_categories().get(code)
    if category is None:
        return _error(fmt, 404, _("unknown service_code “%s”") % code)
    attributes = [
        {
            "variable": True,
            "code": a["code"],
            "datatype": a.get("datatype", "string"),
            "required": bool(a.get("required")),
            "datatype_description": a.get("datatype_description", ""),
            "order": i,
            "description": a.get("description", a["code"]),
            "values": [{"key": str(v["key"]), "name": v["name"]} for v in a.get("values", [])],
        }
        for i, a in enumerate(category.attributes, start=1)
    ]
    return _render(
        fmt, {"service_code": category.code, "attributes": attributes}, root="service_definition", item=""
    )


def _parse_date(value: str, name: str) -> dt.datetime:
    try:
        parsed = parse_datetime(value.replace(" ", "+")) if value else None
    except ValueError:  # well-formed but impossible, e.g. month 13
        parsed = None
    if parsed is None:
        raise ValidationError.for_field(
            name, _("must be an ISO 8601 date-time, e.g. 2026-03-01T00:00:00+08:00")
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if not EARLIEST <= parsed <= LATEST:
        raise ValidationError.for_field(name, _("must be a date-time between 1900 and 9000"))
    return parsed


@public
@csrf_exempt
def requests_view(request, fmt: str):
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method not in ("GET", "HEAD"):
        response = _error(fmt, 405, _("use GET or POST"))
        response["Allow"] = "GET, HEAD, POST"
        return response
    if not _jurisdiction_ok(request):
        return _error(fmt, 404, _("unknown jurisdiction_id"))
    public_ids = [c.pk for c in _public_categories().values()]
    qs = Incident.objects.filter(category_id__in=public_ids).select_related(
        "category", "handling_department", "handling_unit", "cell"
    )
    ids = [i for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    try:
        if ids:
            pks = [_parse_id(i) for i in ids]
            if None in pks:
                return _error(fmt, 400, _("service_request_id must be a comma-separated list of ids"))
            qs = qs.filter(pk__in=pks)
        else:
            end = (
                _parse_date(request.GET["end_date"], "end_date")
                if request.GET.get("end_date")
                else timezone.now()
            )
            start = (
                _parse_date(request.GET["start_date"], "start_date")
                if request.GET.get("start_date")
                else end - dt.timedelta(days=DEFAULT_WINDOW_DAYS)
            )
            qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
            codes = [c for c in request.GET.get("service_code", "").split(",") if c]
            if codes:
                qs = qs.filter(category__code__in=codes)
            statuses = {s.strip() for s in request.GET.get("status", "").split(",") if s.strip()}
            if statuses - {"open", "closed"}:
                return _error(fmt, 400, _("status must be open, closed or both"))
            if statuses == {"open"}:
                qs = qs.exclude(state__in=CLOSED_STATES)
            elif statuses == {"closed"}:
                qs = qs.filter(state__in=CLOSED_STATES)
    except ValidationError as exc:
        return _error(fmt, 400, exc.message)
    rows = [
        _request_dict(i, request)
        for i in qs.prefetch_related("photos").order_by("-reported_at")[:MAX_REQUESTS]
    ]
    return _render(fmt, rows, root="service_requests", item="request")


def _post_request(request, fmt: str) -> HttpResponse:
    try:
        ratelimit.hit(
            "grid.open311.post", client_ip(request) or "-", limit=settings.GRID_OPEN311_POST_RATE_PER_MINUTE
        )
    except RateLimited as exc:
        response = _error(fmt, 429, exc.message)
        response["Retry-After"] = str(exc.retry_after)
        return response
    data = request.POST
    if not _jurisdiction_ok(request):
        return _error(fmt, 404, _("unknown jurisdiction_id"))
    key = services.open311_key_authenticate(data.get("api_key", ""))
    if key is None:
        return _error(fmt, 403, _("api_key is missing or not valid"))
    code = data.get("service_code", "")
    if not code:
        return _error(fmt, 400, _("service_code: is required"))
    category = _public_categories().get(code)
    if category is None:
        return _error(fmt, 400, _("service_code: unknown service “%s”") % code)
    lat, lng = data.get("lat", ""), data.get("long", "")
    address = data.get("address_string", "").strip()
    address_id = data.get("address_id", "").strip()
    if (lat == "") != (lng == ""):
        return _error(fmt, 400, _("lat and long: send both, or neither with address_string"))
    if lat == "" and not address and address_id:
        # address_id: this endpoint's address ids are grid cell codes (GET requests returns them).
        point = geo.cell_point(address_id)
        if point is None:
            return _error(fmt, 400, _("address_id: no grid cell has the code “%s”") % address_id[:40])
        lng, lat = point
    elif lat == "":
        if not address:
            return _error(fmt, 400, _("a location is required: lat and long, address_string or address_id"))
        point = geo.geocode(address)
        if point is None:
            return _error(fmt, 400, _("address_string: no grid cell matches this address; send lat and long"))
        lng, lat = point
    attributes = {
        k[len("attribute[") : -1]: (data.getlist(k) if k.endswith("[]]") else data.get(k))
        for k in data
        if k.startswith("attribute[") and k.endswith("]")
    }
    if any(_CONTROL.search(v) for values in data.lists() for v in values[1]):
        return _error(fmt, 400, _("fields must not contain control characters"))
    media_url = data.get("media_url", "").strip()
    if media_url and (not re.match(r"https?://", media_url) or len(media_url) > 500):
        return _error(fmt, 400, _("media_url: must be an http(s) URL of at most 500 characters"))
    if len(data.get("account_id", "")) > 100:
        return _error(fmt, 400, _("account_id: at most 100 characters"))
    description = data.get("description", "").strip() or category.name
    name = " ".join(p for p in (data.get("first_name", ""), data.get("last_name", "")) if p).strip()
    try:
        incident = services.incident_report(
            actor=None,
            category=category,
            lat=lat,
            lng=lng,
            description=description,
            source=Incident.Source.OPEN311,
            address=address,
            attributes=attributes,
            reporter_name=name,
            reporter_phone=data.get("phone", ""),
            reporter_email=data.get("email", ""),
            within=key.org_unit,
            media_url=media_url,
            account_id=data.get("account_id", "").strip(),
        )
    except ValidationError as exc:
        fields = exc.fields or {}
        if fields:
            parts = [f"{FIELD_NAMES.get(k, k)}: {' '.join(v)}" for k, v in fields.items()]
            return _error(fmt, 400, "; ".join(parts))
        return _error(fmt, 400, exc.message)
    except PermissionDenied as exc:
        return _error(fmt, 403, exc.message)
    body = [
        {
            "service_request_id": str(incident.pk),
            "token": incident.token,
            "service_notice": _service_notice(incident),
            "account_id": incident.account_id or None,
        }
    ]
    return _render(fmt, body, root="service_requests", item="request", status=201)


@public
@csrf_exempt
def request_detail(request, request_id: str, fmt: str):
    refused = _read_only(request, fmt)
    if refused:
        return refused
    if not _jurisdiction_ok(request):
        return _error(fmt, 404, _("unknown jurisdiction_id"))
    pk = _parse_id(request_id)
    incident = (
        Incident.objects.filter(pk=pk, category__is_public=True)
        .select_related("category", "handling_department", "handling_unit", "cell")
        .first()
        if pk is not None
        else None
    )
    if incident is None:
        return _error(fmt, 404, _("no service request with id %s") % request_id)
    return _render(fmt, [_request_dict(incident, request)], root="service_requests", item="request")


@public
@csrf_exempt
def token_detail(request, token: str, fmt: str):
    refused = _read_only(request, fmt)
    if refused:
        return refused
    incident = (
        Incident.objects.filter(token=token).only("pk", "token").first()
        if re.fullmatch(r"[0-9a-f]{24}", token)
        else None
    )
    if incident is None:
        return _error(fmt, 404, _("unknown token"))
    return _render(
        fmt,
        [{"service_request_id": str(incident.pk), "token": incident.token}],
        root="service_requests",
        item="request",
    )
