"""Reads of the services module: the public catalogue, applicants' own cases, staff worklists."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated, grants_of, scope_q
from zhengtong.core import cache
from zhengtong.core.errors import NotFound
from zhengtong.core.workflow import timeline
from zhengtong.registry import selectors as registry_selectors
from zhengtong.seals import selectors as seal_selectors
from zhengtong.services.models import (
    Bundle,
    BundleApplication,
    Case,
    LicenceConsent,
    LicenceUse,
    Rating,
    ServiceItem,
)
from zhengtong.services.workflows import OPEN_STATES


def catalogue(
    *, q: str = "", department: str = "", life_event: str = "", visits: str = "", kind: str = ""
) -> QuerySet[ServiceItem]:
    """Published service items; ``department`` is a department kind (e.g. "market_regulation")."""
    qs = ServiceItem.objects.filter(is_published=True).select_related(
        "department", "org_unit", "current_version"
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(name_en__icontains=q) | Q(code=q))
    if department:
        qs = qs.filter(department__kind=department)
    if life_event:
        # JSON list membership, portable across SQLite and PostgreSQL.
        qs = qs.filter(life_events__icontains=f'"{life_event}"')
    if visits in ("0", "1"):
        qs = qs.filter(visits=int(visits))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("department__kind", "code")


# Published service items (by id) with their current version, department and org unit, kept
# through core.cache (and in-process: every application reads them) for
# SERVICES_ITEM_CACHE_SECONDS. A change drops them in every process (signals in apps.py): at once
# in the changing process, within CACHE_LOCAL_REVALIDATE_SECONDS in the others.
ITEMS_CACHE = "services.items"


def forget_items(**_kwargs) -> None:
    cache.invalidate(ITEMS_CACHE)


def _copy_item(item: ServiceItem) -> ServiceItem:
    """A copy the caller may change: the item and the related objects it carries."""
    mine = copy.copy(item)
    for name in ("current_version", "department", "org_unit"):
        related = getattr(item, name) if ServiceItem._meta.get_field(name).is_cached(item) else None
        if related is not None:
            setattr(mine, name, copy.copy(related))
    return mine


def _item_load(key: str | int, by_pk: bool) -> ServiceItem:
    qs = ServiceItem.objects.filter(is_published=True).select_related(
        "department__org_unit", "org_unit", "current_version", "current_version__produces"
    )
    item = qs.filter(pk=int(key)).first() if by_pk else qs.filter(code=key).first()
    if item is None:
        raise NotFound(_("no published service item %s") % key)
    return item


def item_get(key: str | int) -> ServiceItem:
    """The published item with id or code ``key`` (a copy the caller may change); NotFound else."""
    ttl = settings.SERVICES_ITEM_CACHE_SECONDS
    by_pk = str(key).isdigit()
    if by_pk and ttl:
        pk = int(key)
        return _copy_item(cache.cached(ITEMS_CACHE, str(pk), lambda: _item_load(pk, True), ttl, local=True))
    return _copy_item(_item_load(key, by_pk))


def bundles_published() -> QuerySet[Bundle]:
    """The bundles (一件事) citizens may apply for."""
    return Bundle.objects.filter(is_published=True)


def bundle_get(code: str) -> Bundle:
    bundle = Bundle.objects.filter(code=code, is_published=True).select_related("org_unit").first()
    if bundle is None:
        raise NotFound(_("no bundle %s") % code)
    return bundle


def my_cases(actor: Any, *, state: str = "") -> QuerySet[Case]:
    ensure_authenticated(actor)
    qs = Case.objects.filter(applicant=actor).select_related("item", "department")
    if state:
        qs = qs.filter(state=state)
    return qs


def case_for_applicant(actor: Any, pk: int) -> Case:
    ensure_authenticated(actor)
    case = (
        Case.objects.filter(pk=pk, applicant=actor)
        .select_related("item", "item_version", "department", "org_unit", "licence", "licence__licence_type")
        .first()
    )
    if case is None:
        raise NotFound(_("no application %s of yours") % pk)
    return case


def staff_scope(actor: Any, perm: str = "services.view", *, department_hint: bool = False) -> Q:
    """The permission mechanism's scope, plus a redundant department predicate when every grant
    is limited to a department (cases always have one): it lets the database use the
    (department, state, id) index instead of scanning the whole county (used for the counts; a
    first page is cheaper walking the primary key backwards, so worklists go without it)."""
    scope = scope_q(actor, perm, path_field="org_path", department_field="department")
    if not department_hint or getattr(actor, "is_superuser", False):
        return scope
    grants = [g for g in grants_of(actor) if g.allows(perm)]
    if grants and all(g.department_id is not None for g in grants):
        scope &= Q(department_id__in=sorted({g.department_id for g in grants}))
    return scope


WORKLIST_FILTERS = {
    "open": Q(state__in=OPEN_STATES),
    "to_accept": Q(state="submitted"),
    "under_review": Q(state="accepted"),
    "correction": Q(state="correction_requested"),
    "overdue": Q(sla_state="overdue", state__in=OPEN_STATES),
    "due_soon": Q(sla_state="due_soon", state__in=OPEN_STATES),
    "done": Q(state__in=("completed", "refused", "rejected", "withdrawn")),
}


def worklist(actor: Any, *, view: str = "open", item: str = "", q: str = "") -> QuerySet[Case]:
    """Cases the staff member may see (their org units and department), filtered."""
    ensure_authenticated(actor)
    qs = Case.objects.filter(staff_scope(actor))
    if view in WORKLIST_FILTERS:
        qs = qs.filter(WORKLIST_FILTERS[view])
    if item:
        qs = qs.filter(item__code=item)
    q = (q or "").strip()
    if q:
        qs = qs.filter(number=q)
    return qs.select_related("item", "item_version", "department", "org_unit")


def worklist_counts(actor: Any) -> dict[str, int]:
    """Counts per filter of the worklist, in one query."""
    qs = Case.objects.filter(staff_scope(actor, department_hint=True)).filter(
        state__in=("submitted", "accepted", "correction_requested", "approved")
    )
    agg = qs.aggregate(
        open=Count("id"),
        to_accept=Count("id", filter=Q(state="submitted")),
        under_review=Count("id", filter=Q(state="accepted")),
        correction=Count("id", filter=Q(state="correction_requested")),
        overdue=Count("id", filter=Q(sla_state="overdue")),
        due_soon=Count("id", filter=Q(sla_state="due_soon")),
    )
    return {k: v or 0 for k, v in agg.items()}


def case_for_staff(actor: Any, pk: int) -> Case:
    ensure_authenticated(actor)
    case = (
        Case.objects.filter(staff_scope(actor), pk=pk)
        .select_related("item", "item_version", "department", "org_unit", "applicant", "licence")
        .first()
    )
    if case is None:
        raise NotFound(_("no case %s in your scope") % pk)
    return case


def bundle_status(actor: Any, pk: int) -> BundleApplication:
    """A bundle application with its parts, in a constant number of queries (two)."""
    ensure_authenticated(actor)
    app = (
        BundleApplication.objects.filter(pk=pk, applicant=actor)
        .select_related("bundle")
        .prefetch_related(
            Prefetch(
                "cases", queryset=Case.objects.select_related("item", "department", "licence").order_by("id")
            )
        )
        .first()
    )
    if app is None:
        raise NotFound(_("no bundle application %s of yours") % pk)
    parts = list(app.cases.all())
    app.parts = parts
    states = {c.state for c in parts}
    app.failed = [c for c in parts if c.state in ("refused", "rejected", "withdrawn")]
    if parts and states == {"completed"}:
        app.overall = "completed"
    elif app.failed and all(c.state in ("completed", "refused", "rejected", "withdrawn") for c in parts):
        app.overall = "failed"
    else:
        app.overall = "in_progress"
    return app


def my_bundle_applications(actor: Any) -> QuerySet[BundleApplication]:
    ensure_authenticated(actor)
    return BundleApplication.objects.filter(applicant=actor).select_related("bundle")


def rating_stats() -> dict[str, list[dict]]:
    """Public 好差评 statistics per department and per service item (two aggregate queries)."""

    def rows(group: tuple[str, ...]):
        return list(
            Rating.objects.filter(excluded=False)
            .values(*group)
            .annotate(
                count=Count("id"),
                average=Avg("score"),
                good=Count("id", filter=Q(score__gte=4)),
                bad=Count("id", filter=Q(score__lte=2)),
                rectified=Count("id", filter=Q(state__in=("rectified", "upheld", "revised"))),
            )
            .order_by(*group)
        )

    by_dept = rows(("department__name", "department__org_unit__name"))
    by_item = rows(("item__code", "item__name"))
    for row in by_dept + by_item:
        row["average"] = round(row["average"] or 0, 2)
        row["good_rate"] = round(100 * row["good"] / row["count"], 1) if row["count"] else 0
    return {"departments": by_dept, "items": by_item}


def ratings_for_staff(actor: Any, permission: str = "services.supervise") -> QuerySet[Rating]:
    """Ratings of the actor's scope: supervisors (appeals, contests) or, with
    ``permission="services.view"``, the department's staff (who may contest a 差评)."""
    return Rating.objects.filter(scope_q(actor, permission, department_field="department")).select_related(
        "case", "item", "department", "staff", "dispute_by"
    )


def ratings_by_staff(actor: Any) -> list[dict]:
    """Counted ratings per staff member rated, in the actor's scope (one aggregate query)."""
    rows = (
        Rating.objects.filter(scope_q(actor, "services.view", department_field="department"))
        .filter(excluded=False, staff__isnull=False)
        .values("staff_id", "staff__username", "staff__display_name")
        .annotate(count=Count("id"), average=Avg("score"), bad=Count("id", filter=Q(score__lte=2)))
        .order_by("-count", "staff_id")[:100]
    )
    return [
        {
            "name": r["staff__display_name"] or r["staff__username"],
            "count": r["count"],
            "average": round(r["average"] or 0, 2),
            "bad": r["bad"],
        }
        for r in rows
    ]


def licensing_decisions_after(after_id: int, *, limit: int = 1000) -> list[dict[str, Any]]:
    """Completed cases of licensing items with an id above ``after_id``, oldest first: what
    the 双公示 publication of licensing decisions reads (a trusted read of decisions that are
    public by law; the caller desensitizes individuals before anything leaves)."""
    rows = (
        Case.objects.filter(pk__gt=after_id, state="completed", item__kind="licensing")
        .select_related("item", "department", "org_unit", "applicant_person", "applicant_entity", "licence")
        .order_by("pk")[:limit]
    )
    out = []
    for case in rows:
        person, entity, licence = case.applicant_person, case.applicant_entity, case.licence
        out.append(
            {
                "id": case.pk,
                "number": case.number,
                "item_code": case.item.code,
                "item_name": case.item.name,
                "department": case.department,
                "org_unit": case.org_unit,
                "decided_at": case.completed_at or case.updated_at,
                "party_kind": "legal_person" if entity is not None else "individual",
                "party_name": entity.name if entity is not None else (person.name if person else ""),
                "party_code": entity.uscc if entity is not None else (person.resident_id if person else ""),
                "licence_number": licence.number if licence is not None else "",
                "valid_from": getattr(licence, "valid_from", None),
                "valid_to": getattr(licence, "valid_to", None),
            }
        )
    return out


def cases_of_entity(entity: Any, *, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """The newest cases a legal entity applied for, ``limit`` from ``offset``, with their end-of-case
    rating if any (好差评): one query on the index ``case_applicant_entity``, reading only the
    columns shown. A trusted read for the supervision module's master record (一户一档), shown to
    supervision staff in the entity's scope only. Their count: ``case_numbers_of_entity(e).count()``."""
    ended = Rating.objects.filter(case=OuterRef("pk"), stage=Rating.Stage.ENDED)
    rows = (
        Case.objects.filter(applicant_entity=entity)
        .select_related("item", "department")
        .only("id", "number", "state", "submitted_at", "item__name", "department__name")
        .annotate(
            _score=Subquery(ended.values("score")[:1]),
            _comment=Subquery(ended.values("comment")[:1]),
            _rstate=Subquery(ended.values("state")[:1]),
        )
        .order_by("-id")[offset : offset + limit]
    )
    out = []
    for case in rows:
        out.append(
            {
                "number": case.number,
                "item": case.item.name,
                "department": case.department.name,
                "state": case.state,
                "submitted_at": case.submitted_at,
                "rating": case._score,
                "rating_comment": case._comment or "",
                "rating_state": case._rstate or "",
            }
        )
    return out


def case_numbers_of_entity(entity: Any) -> QuerySet:
    """The numbers of every case the entity applied for, as a lazy query (a subquery where it is
    used: sharing's exchange log looks up the calls made for them)."""
    return Case.objects.filter(applicant_entity=entity).values_list("number", flat=True)


def case_was_accepted(case: Case) -> bool:
    """Whether the case went through acceptance (受理): its acceptance can be rated."""
    return any(e.transition == "accept" for e in timeline(case))


# --- the e-licence wallet (卡包) ---------------------------------------------------------------

WALLET_FILE_KIND = "services.elicence"  # wallet.FILE_KIND (the writes import the reads, not back)


def wallet_of(user) -> list[dict]:
    """The user's e-licences (their own and their entity's), each with its sealed file, its
    consents (newest first) and the log of verifications and uses the holder sees."""
    licences = list(registry_selectors.my_licences(user).order_by("licence_type__code", "-id"))
    ids = [lic.pk for lic in licences]
    files = {
        d.reference: d
        for d in seal_selectors.documents_by_reference_prefix("licence:").filter(
            kind=WALLET_FILE_KIND, reference__in=[f"licence:{pk}" for pk in ids]
        )
    }
    consents: dict[int, list] = {}
    for c in LicenceConsent.objects.filter(licence_id__in=ids, holder=user).order_by("-id")[:200]:
        consents.setdefault(c.licence_id, []).append(c)
    uses: dict[int, list] = {}
    for u in LicenceUse.objects.filter(licence_id__in=ids).select_related("consent").order_by("-id")[:500]:
        uses.setdefault(u.licence_id, []).append(u)
    now = timezone.now()
    return [
        {
            "licence": lic,
            "file": files.get(f"licence:{lic.pk}"),
            "consents": [
                {"c": c, "live": c.revoked_at is None and c.expires_at > now}
                for c in consents.get(lic.pk, [])
            ],
            "uses": uses.get(lic.pk, [])[:20],
        }
        for lic in licences
    ]
