"""Pages of the lists of powers and of 双公示."""

from __future__ import annotations

from django.shortcuts import render

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core.access import public
from zhengtong.core.pagination import keyset_page
from zhengtong.opengov import selectors, throttle
from zhengtong.opengov.models import PowerType, Publicity


@public
def powers(request):
    department = request.GET.get("department", "")
    power_type = request.GET.get("type", "")[:14]
    life_event = request.GET.get("life_event", "")[:40]
    items = selectors.powers(
        department=int(department) if department.isdigit() else None,
        power_type=power_type,
        life_event=life_event,
    )[:200]
    return render(
        request,
        "opengov/powers.html",
        {
            "items": items,
            "types": PowerType.choices,
            "departments": account_selectors.departments_active()[:500],
            "selected": {"department": department, "type": power_type, "life_event": life_event},
        },
    )


@public
def publicity(request):
    throttle.anonymous_read(request, "list")
    kind = request.GET.get("kind", "")
    kind = kind if kind in Publicity.Kind.values else ""
    page = keyset_page(
        selectors.publicity_current(kind=kind, q=request.GET.get("q", "").strip()[:50]),
        order=["-published_on", "-id"],
        cursor=request.GET.get("cursor"),
        limit=30,
    )
    return render(request, "opengov/publicity.html", {"page": page, "kind": kind})
