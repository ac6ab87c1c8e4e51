"""The catalogue of APIs (dataservices): publishers describe the APIs their department offers,
linked to the datasets they serve; the worker checks each one's availability."""

from __future__ import annotations

import re
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.catalog.models import DataResource, DataService, Licence
from zhengtong.core.errors import ValidationError

audit_actions.register({"catalog.dataservice.create": gettext_lazy("Catalogue an API")})
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def _url(field: str, value: Any, *, required: bool) -> str:
    url = (value or "").strip() if isinstance(value, str) else ""
    if not url and not required:
        return ""
    if not _URL.match(url) or len(url) > 500:
        raise ValidationError.for_field(field, _("must be an http(s) address"))
    return url


def dataservice_create(
    *,
    actor: Any,
    department: Any,
    name: str,
    title: str,
    base_url: str,
    description: str = "",
    openapi_url: str = "",
    access: str = "open",
    conditions: str = "",
    rate_limit: str = "",
    licence: str = "CC-BY-4.0",
    datasets: list[str] | None = None,
) -> DataService:
    """Catalogue an API of ``department`` (catalog.edit there), linked to its published datasets."""
    ensure_can(actor, "catalog.edit", department.org_unit, department)
    name = (name or "").strip().lower()
    if not re.match(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$", name):
        raise ValidationError.for_field("name", _("3–100 lower-case ASCII letters, digits and hyphens"))
    if DataService.objects.filter(name=name).exists():
        raise ValidationError.for_field("name", _("an API with this name is catalogued already"))
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationError.for_field("title", _("1 to 200 characters"))
    if access not in DataService.Access.values:
        raise ValidationError.for_field(
            "access", _("must be one of %s") % ", ".join(DataService.Access.values)
        )
    if licence not in Licence.values:
        raise ValidationError.for_field("licence", _("must be one of %s") % ", ".join(Licence.values))
    if len(rate_limit or "") > 100:
        raise ValidationError.for_field("rate_limit", _("at most %d characters") % 100)
    names = [n for n in datasets or [] if n]
    linked = list(DataResource.objects.filter(name__in=names, state="published"))
    missing = sorted(set(names) - {r.name for r in linked})
    if missing:
        raise ValidationError.for_field("datasets", _("no published dataset “%s”") % ", ".join(missing))
    with transaction.atomic():
        service = DataService.objects.create(
            name=name,
            title=title,
            description=(description or "")[:5000],
            department=department,
            org_unit=department.org_unit,
            base_url=_url("base_url", base_url, required=True),
            openapi_url=_url("openapi_url", openapi_url, required=False),
            access=access,
            conditions=(conditions or "")[:5000],
            rate_limit=(rate_limit or "").strip(),
            licence=licence,
        )
        service.datasets.set(linked)
        audit.record(
            actor=actor, action="catalog.dataservice.create", target=service, org_unit=service.org_unit
        )
    return service


def dataservices_check(session: requests.Session | None = None) -> int:
    """The periodic availability check: one GET of each API's base address (2xx–4xx: the server
    answers, so available; 5xx or no answer: unavailable)."""
    http = session or requests.Session()
    checked = 0
    for service in DataService.objects.all():
        try:
            response = http.get(
                service.base_url, timeout=settings.CATALOG_HARVEST_TIMEOUT_SECONDS, allow_redirects=False
            )
            available = response.status_code < 500
        except requests.RequestException:
            available = False
        DataService.objects.filter(pk=service.pk).update(available=available, checked_at=timezone.now())
        checked += 1
    return checked
