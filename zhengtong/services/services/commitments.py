"""告知承诺制 (国办发〔2020〕42号): versioned 承诺书 texts, commitments signed on a case in place of
materials, the 核查 task after the decision, and what a false commitment brings: the case ends
(before the decision) or its decision and e-licence are revoked (after it), and the credit module
records the false commitment, which excludes the applicant from 告知承诺 and 容缺受理 until repaired.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.credit import selectors as credit_selectors
from zhengtong.credit import services as credit
from zhengtong.registry import services as registry
from zhengtong.services import notices
from zhengtong.services.errors import ServicesError
from zhengtong.services.models import Case
from zhengtong.services.models_onestop import Commitment, CommitmentCheck, CommitmentText
from zhengtong.services.services.common import case_link, escalate_to_supervisors, tell

audit_actions.register(
    {
        "services.commitment_text.publish": gettext_lazy("Publish a commitment text (承诺书)"),
        "services.case.commitments": gettext_lazy("Sign commitments in place of materials (告知承诺)"),
        "services.commitment_check.escalate": gettext_lazy("Escalate overdue commitment checks (核查督办)"),
    }
)

TEXT_LIMITS = {"title": 200, "promise": 4000, "liability": 4000}


def text_digest(text: CommitmentText) -> str:
    """The hash of exactly the words signed (title, promise, liability)."""
    return hashlib.sha256(f"{text.title}\n{text.promise}\n{text.liability}".encode()).hexdigest()


def current_text(code: str) -> CommitmentText | None:
    return CommitmentText.objects.filter(code=code).order_by("-version").first()


@transaction.atomic
def commitment_text_publish(
    *, actor: Any, code: str, title: str, promise: str, liability: str
) -> CommitmentText:
    """Publish a 承诺书 text (services.manage_catalogue): a new version when a word changed, else
    the current one. Cases keep the version they signed."""
    ensure_can(actor, "services.manage_catalogue")
    values = {"title": title, "promise": promise, "liability": liability}
    errors: dict[str, list[str]] = {}
    code = (code or "").strip()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
        errors["code"] = [_("1 to 40 letters, digits, - or _")]
    for name, limit in TEXT_LIMITS.items():
        values[name] = (values[name] or "").strip()
        if not values[name]:
            errors.setdefault(name, []).append(_("is required"))
        elif len(values[name]) > limit:
            errors.setdefault(name, []).append(_("at most %d characters") % limit)
    if errors:
        raise ValidationError(fields=errors)
    latest = current_text(code)
    if latest is not None and all(getattr(latest, k) == v for k, v in values.items()):
        return latest
    text = CommitmentText.objects.create(
        code=code, version=(latest.version + 1) if latest else 1, published_by=actor, **values
    )
    audit.record(
        actor=actor,
        action="services.commitment_text.publish",
        target=text,
        after={"code": code, "version": text.version},
    )
    return text


def commitment_excluded(holdings: Any) -> str:
    """Why the applicant may not commit in place of a material, or "": an unrepaired false
    commitment (persons and entities), the serious-dishonesty list or grade D (entities)."""
    if holdings.entity is not None and credit_selectors.measures_for(holdings.entity.uscc).flagged:
        return _("your credit record excludes a commitment in place of this material (告知承诺): upload it")
    if (
        holdings.person is not None
        and credit_selectors.measures_for_person(holdings.person.resident_id).flagged
    ):
        return _(
            "a false commitment on your record excludes 告知承诺 until it is repaired: upload the material"
        )
    return ""


def record_signed(case: Case, *, signer: Any) -> list[Commitment]:
    """In the submission's transaction: a Commitment row per material the case satisfied by a
    commitment, with the text version and the hash of its words."""
    names = {m["code"]: m.get("name", m["code"]) for m in case.item_version.materials}
    rows = []
    for code, status in case.materials.items():
        if status.get("by") != "commitment":
            continue
        text = CommitmentText.objects.get(code=status["text"], version=status["version"])
        rows.append(
            Commitment(
                case=case,
                material_code=code,
                material_name=names.get(code, code),
                text=text,
                text_sha256=text_digest(text),
                signed_by=signer,
            )
        )
    if rows:
        Commitment.objects.bulk_create(rows)
        audit.record(
            actor=signer,
            action="services.case.commitments",
            target=case,
            after={
                "materials": [r.material_code for r in rows],
                "texts": [f"{r.text.code} v{r.text.version}" for r in rows],
            },
        )
    return rows


def check_open(case: Case, *, actor: Any) -> CommitmentCheck | None:
    """At the decision (called by ``case_complete``): a case decided on commitments gets its
    核查 task, on a core.sla clock of SERVICES_COMMITMENT_CHECK_DAYS working days."""
    if not case.commitments.exists() or CommitmentCheck.objects.filter(case=case).exists():
        return None
    check = CommitmentCheck(
        case=case,
        org_unit=case.org_unit,
        org_path=case.org_path,
        department=case.department,
        state=CommitmentCheck.workflow.initial,
    )
    CommitmentCheck.workflow.start_clock(check)
    check.save()
    CommitmentCheck.workflow.start(check, actor=actor, after={"case": case.number})
    return check


@transaction.atomic
def check_confirm(*, actor: Any, check: CommitmentCheck, note: str = "", expected_version: int | None = None):
    """The reviewer found every commitment true (services.review at the case's unit)."""
    CommitmentCheck.workflow.apply(
        check,
        "confirm",
        actor=actor,
        note=note,
        changes={"finding": note.strip()[:4000], "checked_by_id": actor.pk, "checked_at": timezone.now()},
        expected_version=expected_version,
    )
    check.case.commitments.update(state=Commitment.State.KEPT)
    return check


@transaction.atomic
def check_find_false(
    *,
    actor: Any,
    case: Case,
    note: str,
    materials: list[str],
    expected_version: int | None = None,
) -> CommitmentCheck:
    """A commitment of ``case`` is false (services.review at the case's unit): the named
    commitments are marked false; an undecided case ends (``void``), a decided one has its
    decision revoked (``revoke``) and its e-licence revoked through the registry's workflow; the
    false commitment goes on the applicant's credit record (person or entity). Before the
    decision the 核查 task is opened here (a finding in review)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError.for_field("note", _("state what the check found"))
    commitments = {c.material_code: c for c in case.commitments.select_related("text")}
    if not commitments:
        raise Conflict(_("this case was not decided on commitments"), code=ServicesError.INVALID_STATE)
    chosen = [code for code in dict.fromkeys(materials or []) if code]
    if not chosen:
        raise ValidationError.for_field("materials", _("name the commitment found false"))
    unknown = [code for code in chosen if code not in commitments]
    if unknown:
        raise ValidationError.for_field(
            "materials", _("no commitment for %s on this case") % ", ".join(unknown)
        )
    check = CommitmentCheck.objects.filter(case=case).first()
    if check is None:
        # A finding before the decision: the reviewer must be allowed on the case before anything is written.
        ensure_can(actor, "services.review", case.org_unit, case.department)
        if case.state not in Case.workflow.transition("void").source:
            raise Conflict(_("this case has no open commitment check"), code=ServicesError.INVALID_STATE)
        check = check_open(case, actor=actor)
        expected_version = None
    CommitmentCheck.workflow.apply(
        check,
        "find_false",
        actor=actor,
        note=note,
        data={"materials": chosen},
        changes={"finding": note[:4000], "checked_by_id": actor.pk, "checked_at": timezone.now()},
        expected_version=expected_version,
    )
    Commitment.objects.filter(case=case, material_code__in=chosen).update(state=Commitment.State.FALSE)
    names = "、".join(commitments[c].material_name for c in chosen)
    reason = _("false commitment (%(materials)s): %(note)s") % {"materials": names, "note": note}
    if case.state == "completed":
        Case.workflow.apply(case, "revoke", actor=actor, note=reason, changes={"decision_note": reason})
        if case.licence_id and case.licence.state in ("valid", "suspended"):
            # The registry's workflow revokes the licence, named as this reviewer's act via services.
            registry.licence_revoke(actor=actor, licence=case.licence, note=reason, via="services")
        # The sealed 撤销行政许可决定书, issued after the commit (notices' outbox path).
        notices.notice_enqueue(case, "revoke")
    else:
        Case.workflow.apply(case, "void", actor=actor, note=reason, changes={"decision_note": reason})
    if case.applicant_entity_id or case.applicant_person_id:
        credit.commitment_breach_record(
            actor=actor,
            via="services",
            source_ref=f"services.case:{case.number}",
            summary=_("false commitment in case %(number)s (%(item)s): %(materials)s")
            % {"number": case.number, "item": case.item.name, "materials": names},
            org_unit=case.org_unit,
            person=case.applicant_person if case.applicant_entity_id is None else None,
            entity=case.applicant_entity,
        )
    tell(
        case.applicant,
        "services.case.commitment_false",
        _("Your application %(number)s: a commitment was found false") % {"number": case.number},
        reason,
        case_link(case),
        applicant=True,
    )
    return check


def on_check_overdue(ids: list[int]) -> None:
    """Newly overdue 核查 tasks (a chunk of the SLA scan, which stamped their ``escalated_at``):
    the same 督办 as an overdue case. Per org unit, the nearest holders of ``services.supervise``
    (``accounts.selectors.holders_of``) get one message naming the cases, and one audit event
    lists them."""
    rows = list(CommitmentCheck.objects.filter(pk__in=ids).values_list("pk", "org_path", "case__number"))
    by_path: dict[str, list[tuple[int, str]]] = {}
    for pk, path, number in rows:
        by_path.setdefault(path, []).append((pk, number))
    escalate_to_supervisors(
        by_path,
        event="services.commitment_check.overdue",
        message=_("%(count)d commitment check(s) overdue (核查): %(first)s"),
        link=reverse("services:checks"),
        action="services.commitment_check.escalate",
        target_type="services.commitmentcheck",
        via="services",
    )
