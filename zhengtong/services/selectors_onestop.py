"""Reads of counter intake, 告知承诺制 and 跨省通办 (see services/intake, commitments, transfers)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import scope_q
from zhengtong.core.errors import NotFound
from zhengtong.services.models import Case, ServiceItem
from zhengtong.services.models_onestop import CommitmentCheck, CommitmentText, ProxyConsent, Tongban, Transfer


def commitment_items() -> list[dict[str, Any]]:
    """The published list of 告知承诺 items: each published item whose current version lets a
    commitment replace a material, with those materials and the current 承诺书 of each."""
    texts: dict[str, CommitmentText] = {}
    for text in CommitmentText.objects.order_by("code", "-version"):
        texts.setdefault(text.code, text)
    out = []
    items = ServiceItem.objects.filter(is_published=True).select_related(
        "current_version", "department", "org_unit"
    )
    for item in items.order_by("code"):
        materials = [
            {"code": m["code"], "name": m.get("name", m["code"]), "text": texts.get(m["commitment"])}
            for m in (item.current_version.materials if item.current_version_id else [])
            if m.get("commitment") and m["commitment"] in texts
        ]
        if materials:
            out.append({"item": item, "materials": materials})
    return out


def citizen_with_resident_id(resident_id: str) -> Any:
    """The real-name citizen account a counter identifies by ID number (None for staff/unknown)."""
    if len(resident_id or "") != 18:
        return None
    user = account_selectors.user_with_resident_id(resident_id)
    return None if user is None or user.is_staff_member else user


def intake_case_for_clerk(user: Any, pk: int) -> Case:
    """A case received at a counter, for the clerk who received it (its receipt page)."""
    case = (
        Case.objects.filter(pk=pk, intake__received_by=user)
        .select_related("item", "intake", "intake__counter_unit", "applicant")
        .first()
    )
    if case is None:
        raise NotFound(_("no case %s received at your counter") % pk)
    return case


def commitment_texts() -> QuerySet[CommitmentText]:
    return CommitmentText.objects.order_by("code", "-version")


def checks_for_staff(user: Any, *, state: str = "open") -> QuerySet[CommitmentCheck]:
    qs = CommitmentCheck.objects.filter(
        scope_q(user, "services.review", path_field="org_path", department_field="department")
    ).select_related("case", "case__item")
    return qs.filter(state=state) if state else qs


def check_for_staff(user: Any, pk: int) -> CommitmentCheck:
    check = checks_for_staff(user, state="").filter(pk=pk).first()
    if check is None:
        raise NotFound(_("no such commitment check in your scope"))
    return check


def transfers_for_staff(user: Any) -> QuerySet[Transfer]:
    """Transfers the receiving counter or the competent unit sees (both counters)."""
    receiving = scope_q(user, "services.accept", path_field="receiving_path")
    competent = scope_q(
        user, "services.view", path_field="competent_path", department_field="case__department"
    )
    return (
        Transfer.objects.filter(receiving | competent)
        .select_related("case", "case__item", "case__org_unit", "receiving_unit")
        .order_by("-id")
    )


def transfer_for_staff(user: Any, pk: int) -> Transfer:
    transfer = transfers_for_staff(user).filter(pk=pk).first()
    if transfer is None:
        raise NotFound(_("no such transfer in your scope"))
    return transfer


def transfer_actions(transfer: Transfer, user: Any) -> list[str]:
    """The delivery steps ``user`` may take on ``transfer`` now (the one its delivery mode uses)."""
    skip = "send_to_counter" if transfer.delivery == "post" else "post_result"
    return [t.name for t in Transfer.workflow.available(transfer, user) if t.name != skip]


def consents_of(user: Any) -> QuerySet[ProxyConsent]:
    """Consents the user gave (as principal) or holds (as proxy)."""
    return ProxyConsent.objects.filter(Q(principal=user) | Q(proxy=user)).select_related("principal", "proxy")


def consent_for_proxy(user: Any, pk: int) -> ProxyConsent:
    consent = ProxyConsent.objects.filter(pk=pk, proxy=user).select_related("principal").first()
    if consent is None:
        raise NotFound(_("no such consent"))
    return consent


def consent_of_principal(user: Any, pk: int) -> ProxyConsent:
    consent = ProxyConsent.objects.filter(pk=pk, principal=user).first()
    if consent is None:
        raise NotFound(_("no such consent"))
    return consent


def _segments(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


def covers(item: ServiceItem, unit: Any) -> bool:
    """Whether the item's 通办 scope lets a counter at ``unit`` receive it: same city (全市通办),
    same province (全省通办), or anywhere (跨省通办). Not its own unit's subtree: that counter
    files it directly."""
    here, home = _segments(unit.path), _segments(item.org_unit.path)
    if unit.path.startswith(item.org_unit.path):
        return False
    if item.tongban == Tongban.CROSS_PROVINCE:
        return True
    if item.tongban == Tongban.PROVINCE:
        return here[:1] == home[:1]
    if item.tongban == Tongban.CITY:
        return len(here) >= 2 and here[:2] == home[:2]
    return False


def tongban_items(unit: Any) -> list[ServiceItem]:
    """Published items of other regions a counter at ``unit`` may receive (通办)."""
    qs = (
        ServiceItem.objects.filter(is_published=True)
        .exclude(tongban="")
        .select_related("org_unit", "department")
    )
    return [item for item in qs if covers(item, unit)]
