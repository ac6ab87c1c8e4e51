"""Reads of the sharing module, scoped by the actor's grants (owner side and consumer side)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can, can_on, scope_q
from zhengtong.core.errors import NotFound
from zhengtong.sharing.models import (
    Alert,
    Exchange,
    Grant,
    Objection,
    OpenTerms,
    Peer,
    RemoteRequest,
    SharingProfile,
    SharingRequest,
    UsageReport,
)


def _owner_q(actor: Any, perm: str = "sharing.view") -> Q:
    return scope_q(actor, perm, department_field="department")


def _consumer_q(actor: Any, perm: str = "sharing.view") -> Q:
    return scope_q(actor, perm, path_field="consumer_org_unit__path", department_field="consumer_department")


def may_see_grant(actor: Any, grant: Grant) -> bool:
    # A grant to another installation has no consumer here (``can`` with no unit means anywhere).
    return can_on(actor, "sharing.view", grant) or (
        not grant.consumer_installation
        and can(actor, "sharing.view", grant.consumer_org_unit, grant.consumer_department)
    )


def profiles_directory(*, actor: Any) -> QuerySet[SharingProfile]:
    """The sharing directory: every source's sharing attributes, for staff who may request or
    manage (sharing attributes are not secret inside the government)."""
    if not (can(actor, "sharing.request") or can(actor, "sharing.view")):
        return SharingProfile.objects.none()
    return SharingProfile.objects.select_related("department", "org_unit", "resource").order_by("title", "id")


def profile_get(*, actor: Any, pk: Any) -> SharingProfile:
    found = profiles_directory(actor=actor).filter(pk=pk).first() if str(pk).isdecimal() else None
    if found is None:
        raise NotFound(_("no such shared source"))
    return found


def profile_of_resource(resource: Any) -> SharingProfile | None:
    return SharingProfile.objects.filter(resource=resource).first()


def requests_to_decide(*, actor: Any) -> QuerySet[SharingRequest]:
    q = _owner_q(actor, "sharing.approve") | scope_q(actor, "sharing.approve_sensitive")
    return (
        SharingRequest.objects.filter(q, state__in=["pending", "partly_approved"])
        .select_related("profile", "consumer_department", "requested_by")
        .order_by("sla_deadline", "id")
    )


def requests_of(*, actor: Any) -> QuerySet[SharingRequest]:
    return SharingRequest.objects.filter(_consumer_q(actor, "sharing.request")).select_related(
        "profile", "department", "consumer_department"
    )


def request_get(*, actor: Any, pk: Any) -> SharingRequest:
    qs = SharingRequest.objects.filter(
        _owner_q(actor) | scope_q(actor, "sharing.approve_sensitive") | _consumer_q(actor, "sharing.request")
    ).select_related("profile", "department", "org_unit", "consumer_department", "requested_by")
    found = qs.filter(pk=pk).first() if str(pk).isdecimal() else None
    if found is None:
        raise NotFound(_("no such sharing request"))
    return found


def grants_as_consumer(*, actor: Any) -> QuerySet[Grant]:
    return Grant.objects.filter(_consumer_q(actor, "sharing.request")).select_related(
        "profile", "department", "consumer_department", "credential"
    )


def grants_as_owner(*, actor: Any) -> QuerySet[Grant]:
    return Grant.objects.filter(_owner_q(actor) | scope_q(actor, "sharing.approve_sensitive")).select_related(
        "profile", "department", "consumer_department"
    )


def grant_get(*, actor: Any, pk: Any) -> Grant:
    grant = (
        Grant.objects.select_related(
            "profile", "department", "org_unit", "consumer_department", "consumer_org_unit", "credential"
        )
        .filter(pk=pk)
        .first()
        if str(pk).isdecimal()
        else None
    )
    if grant is None or not (
        may_see_grant(actor, grant) or can(actor, "sharing.approve_sensitive", grant.org_unit)
    ):
        raise NotFound(_("no such grant"))
    return grant


def usage_for_owner(*, actor: Any) -> list[dict]:
    """Who uses my data (数据使用情况): per grant, the consumer, purpose, calls, refusals, cases
    and the last call; exchanges of the sources in the actor's scope."""
    rows = (
        Exchange.objects.filter(
            scope_q(
                actor,
                "sharing.view",
                path_field="owner_department__org_unit__path",
                department_field="owner_department",
            )
        )
        .values(
            "grant",
            "grant__consumer_department__name",
            "grant__consumer_installation",
            "grant__request__origin_department",
            "grant__purpose",
            "profile__title",
            "mode",
        )
        .annotate(
            calls=Count("id"),
            refused=Count("id", filter=Q(outcome="refused")),
            cases=Count("on_behalf_of", distinct=True),
            last=Max("at"),
        )
        .order_by("-last")
    )
    return list(rows[:200])


def exchanges_for(*, actor: Any, grant: Grant | None = None, case: str = "") -> QuerySet[Exchange]:
    """Exchanges the actor may see: as the owner or as the consumer."""
    owner = scope_q(
        actor,
        "sharing.view",
        path_field="owner_department__org_unit__path",
        department_field="owner_department",
    )
    consumer = scope_q(
        actor,
        "sharing.view",
        path_field="consumer_department__org_unit__path",
        department_field="consumer_department",
    )
    qs = Exchange.objects.filter(owner | consumer).select_related("grant", "profile", "consumer_department")
    if grant is not None:
        qs = qs.filter(grant=grant)
    if case:
        qs = qs.filter(on_behalf_of=case)
    return qs.order_by("-at", "-id")


def exchange_get(*, actor: Any, receipt_id: str) -> Exchange:
    try:
        key = uuid.UUID(str(receipt_id))
    except ValueError:
        raise NotFound(_("no such receipt")) from None
    found = exchanges_for(actor=actor).filter(receipt_id=key).first()
    if found is None:
        raise NotFound(_("no such receipt"))
    return found


def receipt_of(exchange: Exchange) -> dict:
    return {"payload": exchange.receipt, "alg": "ES256", "kid": exchange.kid, "signature": exchange.signature}


def alerts_for(*, actor: Any) -> QuerySet[Alert]:
    return Alert.objects.filter(
        scope_q(
            actor, "sharing.view", path_field="grant__org_unit__path", department_field="grant__department"
        )
    ).select_related("grant", "grant__consumer_department")


def objections_for(*, actor: Any) -> QuerySet[Objection]:
    return Objection.objects.filter(
        _owner_q(actor)
        | scope_q(
            actor,
            "sharing.request",
            path_field="grant__consumer_org_unit__path",
            department_field="grant__consumer_department",
        )
    ).select_related("grant", "grant__profile", "raised_by")


def objection_get(*, actor: Any, pk: Any) -> Objection:
    found = objections_for(actor=actor).filter(pk=pk).first() if str(pk).isdecimal() else None
    if found is None:
        raise NotFound(_("no such objection"))
    return found


def peers() -> QuerySet[Peer]:
    return Peer.objects.filter(is_active=True)


def peer_get(installation: str) -> Peer | None:
    """An installation of our trust list that is in use, by its id (None when there is none)."""
    return Peer.objects.filter(installation=str(installation)[:100], is_active=True).first()


def remote_requests_of(*, actor: Any) -> QuerySet[RemoteRequest]:
    """Our department's requests to other installations (the requesting staff's view)."""
    return RemoteRequest.objects.filter(_consumer_q(actor, "sharing.request")).select_related(
        "peer", "consumer_department", "requested_by"
    )


def remote_request_get(*, actor: Any, pk: Any) -> RemoteRequest:
    found = remote_requests_of(actor=actor).filter(pk=pk).first() if str(pk).isdecimal() else None
    if found is None:
        raise NotFound(_("no such request to another installation"))
    return found


def open_terms_for(application_ids: list[int]) -> dict[int, OpenTerms]:
    return {
        t.application_id: t
        for t in OpenTerms.objects.filter(application_id__in=application_ids).select_related("agreement")
    }


def usage_reports_for(*, actor: Any, application: Any) -> list[UsageReport]:
    """The usage reports of an application: for its applicant and its deciders."""
    if application.applicant_id != getattr(actor, "pk", None) and not can_on(
        actor, "catalog.decide_applications", application
    ):
        raise NotFound(_("no such application"))
    return list(UsageReport.objects.filter(application=application).order_by("-submitted_at"))


def exchanges_for_cases_count(case_numbers: Any) -> int:
    """How many exchange-log entries were made on behalf of these cases (one count)."""
    if isinstance(case_numbers, list | tuple | set) and not case_numbers:
        return 0
    return Exchange.objects.filter(on_behalf_of__in=case_numbers).count()


def exchanges_for_cases(case_numbers: Any, *, limit: int = 200, offset: int = 0) -> list[Exchange]:
    """Exchange-log entries made on behalf of these cases (``on_behalf_of``), newest first: one
    query on its index. A trusted read for the supervision module's master record (一户一档):
    which department read whose data for the entity's applications, shown to supervision staff
    in the entity's scope only. ``case_numbers``: a list or a query of numbers (a subquery)."""
    if isinstance(case_numbers, list | tuple | set) and not case_numbers:
        return []
    return list(
        Exchange.objects.filter(on_behalf_of__in=case_numbers)
        .select_related("profile", "owner_department", "consumer_department")
        .order_by("-at", "-id")[offset : offset + limit]
    )


def grant_entitlement(pk: Any) -> dict | None:
    """What the identity centre needs to issue grant ``pk`` as a scope of a consumer system's
    token (``sharing:grant:<pk>``): ``consumer_department_id``, ``state`` and ``expires_at``; None
    for no such grant. A trusted read (no actor): the centre checks the client's department."""
    if not str(pk).isdecimal() or len(str(pk)) > 18:
        return None
    return Grant.objects.filter(pk=int(pk)).values("consumer_department_id", "state", "expires_at").first()
