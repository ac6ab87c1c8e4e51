"""Pages of the cockpit: a unit's cockpit (figures, map, league tables, alerts, live tiles), the
wall mode, the drill-through, exports, evaluations, the open-data index and the methodology."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhengtong.accounts.permissions import can, ensure_can, scope_roots
from zhengtong.cockpit import selectors
from zhengtong.cockpit.models import Alert, Evaluation
from zhengtong.cockpit.services import alerts, dashboard, evaluation, exports, feeds
from zhengtong.cockpit.services.materialize import STORE_CACHE
from zhengtong.cockpit.services.opendata_index import LAYERS
from zhengtong.core import cache as core_cache
from zhengtong.core.access import public, staff
from zhengtong.core.errors import ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.indicators import indicators

DOMAIN_LABELS = {
    "services": "政务服务",
    "hotline": "12345热线",
    "grid": "基层治理",
    "opendata": "数据开放",
    "sharing": "数据共享",
    "codes": "码与风险",
    "economy": "经济运行",
    "environment": "生态环境",
    "platform": "平台运行",
}


def _period(request):
    try:
        return dashboard.period_of(days=request.GET.get("days", 30), end=request.GET.get("end") or None)
    except ValidationError:
        return dashboard.period_of(days=30)


def _indicator_code(request) -> str | None:
    code = request.GET.get("indicator") or None
    known = {i.code for i in indicators()}
    return code if code in known else None


@staff
def home(request):
    """The cockpit of the top unit of the viewer's scope."""
    unit = dashboard.unit_for(request.user, None)
    return redirect("cockpit:unit", code=unit.code)


def _context(request, code: str) -> dict:
    unit = dashboard.unit_for(request.user, code)
    period = _period(request)
    data = dashboard.cockpit(
        actor=request.user, unit=unit, period=period, map_indicator=_indicator_code(request)
    )
    groups: dict[str, list] = {}
    for f in data["figures"]:
        groups.setdefault(f["indicator"].domain, []).append(f)
    names = {i.code: i.name for i in indicators()}
    for a in data["alerts"]:
        a.indicator_name = names.get(a.code, a.code)
    data.update(
        {
            "groups": [(DOMAIN_LABELS.get(k, k), v) for k, v in groups.items()],
            "indicators": indicators(),
            "period_days": dashboard.PERIOD_DAYS,
            "can_evaluate": can(request.user, "cockpit.evaluate", unit),
            "can_acknowledge": can(request.user, "cockpit.alerts", unit),
            "evaluations": selectors.evaluations_at(unit, limit=5),
            "query": request.GET.urlencode(),
            "chart": {
                "unit": unit.code,
                "indicator": data["indicator"].code,
                "indicator_name": data["indicator"].name,
                "unit_of": data["indicator"].unit,
                "regions": [
                    {"code": r["code"], "name": r["name"], "value": r["value"], "band": r["band"]}
                    for r in data["regions"]
                ],
                "counties": [
                    {"code": r["code"], "name": r["name"], "value": r["value"], "band": r["band"]}
                    for r in data["counties"]
                ],
                "trend": [{"day": str(t["day"]), "value": t["value"]} for t in data["trend"]],
                "days": period.days,
                "end": str(period.day_to),
            },
        }
    )
    return data


@staff
def unit(request, code: str):
    context = _context(request, code)
    # The part drawn from the indicator store is cached with it (same namespace, so invalidated
    # by every materialization): per unit, period, indicator, language and query string.
    key = "|".join(
        [
            "html",
            context["unit"].path,
            str(context["period"].day_from),
            str(context["period"].day_to),
            context["indicator"].code,
            translation.get_language() or "",
            context["query"],
        ]
    )
    context["store_html"] = mark_safe(  # noqa: S308 - our own template's output
        core_cache.cached(
            STORE_CACHE, key, lambda: render_to_string("cockpit/_store.html", context), timeout=3600
        )
    )
    return render(request, "cockpit/cockpit.html", context)


@staff
def wall(request, code: str):
    """Full-screen mode for a command-centre wall: dark, refreshes its figures without reloading."""
    return render(request, "cockpit/wall.html", _context(request, code))


@staff
def records(request, code: str):
    unit = dashboard.unit_for(request.user, code)
    code_ = _indicator_code(request)
    if code_ is None:
        raise Http404("no such indicator")
    data = dashboard.drill_through(actor=request.user, unit=unit, code=code_, period=_period(request))
    return render(request, "cockpit/records.html", data)


@staff
def export_xlsx(request, code: str):
    unit = dashboard.unit_for(request.user, code)
    body = exports.cockpit_xlsx(
        actor=request.user, unit=unit, period=_period(request), map_indicator=_indicator_code(request)
    )
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="cockpit-{unit.code}.xlsx"'
    return response


@staff
def export_pdf(request, code: str):
    unit = dashboard.unit_for(request.user, code)
    body = exports.cockpit_pdf(
        actor=request.user, unit=unit, period=_period(request), map_indicator=_indicator_code(request)
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="briefing-{unit.code}.pdf"'
    return response


@staff
@require_POST
def alert_acknowledge(request, alert_id: int):
    alert = Alert.objects.select_related("org_unit").filter(pk=alert_id).first()
    if alert is None:
        raise Http404("no such alert")
    alerts.alert_acknowledge(actor=request.user, alert=alert)
    messages.success(request, _("Alert acknowledged."))
    return redirect("cockpit:unit", code=alert.org_unit.code)


@staff
def evaluate(request, code: str):
    """Run an evaluation of the units below (POST) with the published default weights."""
    unit = dashboard.unit_for(request.user, code)
    ensure_can(request.user, "cockpit.evaluate", unit)
    if request.method == "POST":
        ev = evaluation.evaluation_run(actor=request.user, unit=unit, period=_period(request))
        messages.success(request, _("Evaluation done."))
        return redirect("cockpit:evaluation", evaluation_id=ev.pk)
    return render(
        request,
        "cockpit/evaluate.html",
        {"unit": unit, "weights": _weights(), "period": _period(request), "query": request.GET.urlencode()},
    )


def _weights() -> list[tuple]:
    weights = evaluation.default_weights()
    return [(i, weights[i.code]) for i in indicators() if i.code in weights]


@staff
def evaluation_detail(request, evaluation_id: int):
    ev = Evaluation.objects.select_related("org_unit").filter(pk=evaluation_id).first()
    if ev is None:
        raise Http404("no such evaluation")
    dashboard.unit_for(request.user, ev.org_unit.code)
    if request.method == "POST":
        created = evaluation.rectifications_open(actor=request.user, evaluation=ev)
        messages.success(request, _("%d rectification work orders opened.") % len(created))
        return redirect("cockpit:evaluation", evaluation_id=ev.pk)
    detail = selectors.evaluation_detail(ev)
    states = evaluation.rectification_states(detail["rectifications"])
    names = {i.code: i.name for i in indicators()}
    rows = [
        {
            "score": s,
            "components": [
                {"code": c, "name": names.get(c, c), **v} for c, v in sorted(s.components.items())
            ],
        }
        for s in detail["scores"]
    ]
    return render(
        request,
        "cockpit/evaluation.html",
        {
            "evaluation": ev,
            "rows": rows,
            "weights": [(names.get(c, c), w) for c, w in ev.weights.items()],
            "rectifications": [
                {"r": r, "name": names.get(r.code, r.code), "state": states.get(r.work_order_number, {})}
                for r in detail["rectifications"]
            ],
            "can_evaluate": can(request.user, "cockpit.evaluate", ev.org_unit),
        },
    )


class FeedForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    org_unit = forms.CharField(label=gettext_lazy("Region code"), max_length=15)
    key_field = forms.CharField(label=gettext_lazy("Key field (station)"), max_length=40, initial="station")
    metric = forms.CharField(label=gettext_lazy("Metric field"), max_length=40, initial="aqi")
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=20, required=False)
    window_seconds = forms.IntegerField(label=gettext_lazy("Window (seconds)"), initial=3600)
    threshold = forms.FloatField(label=gettext_lazy("Threshold (window mean above)"), required=False)
    category = forms.CharField(label=gettext_lazy("Work-order category"), max_length=32, initial="0401")
    schema = forms.CharField(
        label=gettext_lazy("Message schema (JSON Schema)"), widget=forms.Textarea(attrs={"rows": 6})
    )


@staff
def feed_list(request):
    """Live feeds in the manager's scope; a new feed shows its sender's key once."""
    roots = scope_roots(request.user, "cockpit.manage")
    if not roots:
        ensure_can(request.user, "cockpit.manage")
    form = FeedForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            schema = json.loads(d["schema"])
            unit = dashboard.unit_for_manage(request.user, d["org_unit"])
            feed, secret = feeds.feed_create(
                actor=request.user,
                code=d["code"],
                name=d["name"],
                org_unit=unit,
                key_field=d["key_field"],
                metric=d["metric"],
                unit=d["unit"],
                schema=schema if isinstance(schema, dict) else {},
                window_seconds=d["window_seconds"],
                threshold=d["threshold"],
                category=d["category"],
            )
        except ValueError:
            form.add_error("schema", _("must be JSON"))
        except ValidationError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("Feed %s created. Copy the key now: it is shown only once.") % feed.code
            )
    return render(
        request,
        "cockpit/feeds.html",
        {"feeds": selectors.feeds_in(roots), "form": form, "secret": secret},
    )


@staff
def feed_detail(request, feed_code: str):
    feed = next((f for f in selectors.feeds_in([""]) if f.code == feed_code), None)
    if feed is None:
        raise Http404("no such feed")
    ensure_can(request.user, "cockpit.manage", feed.org_unit)
    secret = None
    if request.method == "POST":
        secret = feeds.feed_key_rotate(actor=request.user, feed=feed)
        messages.success(request, _("New key issued; the old one no longer verifies. Copy it now."))
    return render(
        request,
        "cockpit/feed.html",
        {
            "feed": feed,
            "secret": secret,
            "windows": selectors.live_windows(feed.org_unit.path, limit=50),
            "events": selectors.feed_events(feed),
            "schema": json.dumps(feed.schema, ensure_ascii=False, indent=2),
        },
    )


@public
def methodology(request):
    """Every indicator with its definition, formula, thresholds and default weight, and the
    open-data index's layers and weights: the published methodology."""
    weights = evaluation.default_weights()
    return render(
        request,
        "cockpit/methodology.html",
        {
            "indicators": [(i, weights.get(i.code)) for i in indicators()],
            "layers": [(k, zh, en, w, codes) for k, (zh, en, w, codes) in LAYERS.items()],
        },
    )


@public
def open_data_index(request):
    rows = selectors.open_data_index()
    return render(
        request,
        "cockpit/open_data_index.html",
        {
            "rows": rows,
            "layers": [(k, v[0], v[1]) for k, v in LAYERS.items()],
            "methodology": reverse("cockpit:methodology"),
        },
    )
