"""Review (审查): reviewers' opinions on the steps of an accepted case, joint sign-off rules,
and completion (办结) with its results: an e-licence and, for a birth registration, the newborn."""

from __future__ import annotations

import math
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, CoreError, ValidationError
from zhengtong.registry import services as registry
from zhengtong.services import eforms
from zhengtong.services.models import Case, Opinion
from zhengtong.services.services import commitments, wallet
from zhengtong.services.services.common import after_transition
from zhengtong.services.services.newborn import register_newborn


def step_outcome(step: dict, approvals: int, rejections: int) -> str:
    """ "approved", "rejected" or "open" for a (joint) sign-off step."""
    mode = step.get("mode", "single")
    n = max(int(step.get("signers", 1) or 1), 1)
    if mode == "single":
        return "approved" if approvals else "rejected" if rejections else "open"
    if mode == "all":
        return "rejected" if rejections else "approved" if approvals >= n else "open"
    if mode == "any":
        return "approved" if approvals else "rejected" if rejections >= n else "open"
    need = math.ceil(float(step.get("quorum", 0.7)) * n)
    if approvals >= need:
        return "approved"
    if rejections > n - need:
        return "rejected"
    return "open"


def _review(*, actor: Any, case: Case, decision: str, note: str, expected_version: int | None) -> Case:
    """A reviewer's opinion on the current step. The step ends when its sign-off rule is met
    (single, all, any, quorum); the last step's approval decides and completes the case.
    Two reviewers acting on the same version: one wins, the other gets Conflict."""
    if decision == "reject" and not note.strip():
        raise ValidationError.for_field("note", _("a reason is required for this action"))
    step = case.current_step
    if step is None:
        raise Conflict(_("this case is not under review"), code=CoreError.INVALID_TRANSITION)
    version = case.version if expected_version is None else expected_version
    try:
        with transaction.atomic():
            Opinion.objects.create(
                case=case,
                step_index=case.step_index,
                step_name=step.get("name", ""),
                reviewer=actor,
                decision=decision,
                note=note,
            )
    except IntegrityError:
        raise Conflict(
            _("you have already given your opinion on this step"), code=CoreError.DUPLICATE
        ) from None
    counts = {"approve": 0, "reject": 0}
    for d in Opinion.objects.filter(case=case, step_index=case.step_index).values_list("decision", flat=True):
        counts[d] += 1
    outcome = step_outcome(step, counts["approve"], counts["reject"])
    data = {"step": step.get("name", ""), "decision": decision}
    if outcome == "rejected":
        Case.workflow.apply(
            case,
            "reject",
            actor=actor,
            note=note,
            data=data,
            changes={"decision_note": note},
            expected_version=version,
        )
        after_transition(case, "reject", note)
    elif outcome == "approved" and case.step_index + 1 >= len(case.steps):
        Case.workflow.apply(case, "approve", actor=actor, note=note, data=data, expected_version=version)
        case_complete(case=case, actor=actor)
    elif outcome == "approved":
        Case.workflow.apply(
            case,
            "sign",
            actor=actor,
            note=note,
            data=data,
            changes={"step_index": case.step_index + 1},
            expected_version=version,
        )
    else:
        Case.workflow.apply(case, "sign", actor=actor, note=note, data=data, expected_version=version)
    return case


@transaction.atomic
def case_approve(*, actor: Any, case: Case, note: str = "", expected_version: int | None = None) -> Case:
    """A reviewer (services.review) approves the current step of an accepted case. When the
    step's sign-off rule is met it ends; the last step's end approves and completes the case
    (e-licence, newborn registration: ``case_complete``)."""
    return _review(actor=actor, case=case, decision="approve", note=note, expected_version=expected_version)


@transaction.atomic
def case_reject(*, actor: Any, case: Case, note: str, expected_version: int | None = None) -> Case:
    """A reviewer's rejecting opinion on the current step, with the reason. When the step's
    sign-off rule cannot be met any more the case is rejected and its clock stops."""
    return _review(actor=actor, case=case, decision="reject", note=note, expected_version=expected_version)


def issue_licence(*, case: Case, actor: Any, data: dict | None = None):
    """The e-licence a completed case produces (its item version's ``produces``), issued into the
    registry on the decider's behalf (``actor`` None: decided by rules, 秒批), or None. Its sealed
    PDF follows after the commit (``wallet.licence_file_enqueue``); the record itself is signed at
    once (``wallet.record_sign``: ES256 over its type, number, holder, issuer and validity)."""
    lt = case.item_version.produces
    if lt is None:
        return None
    holder_person = holder_entity = None
    if lt.holder_kind == "person":
        holder_person = case.applicant_person or eforms.holdings_for(case.applicant).person
    else:
        holder_entity = case.applicant_entity or eforms.holdings_for(case.applicant).entity
    if not (holder_person or holder_entity):
        return None
    today = timezone.localdate()
    valid_to = today.replace(year=today.year + lt.validity_years) if lt.validity_years else None
    signature = wallet.record_sign(
        licence_type=lt.code,
        number=case.number,
        holder=holder_entity.uscc if holder_entity else holder_person.resident_id,
        department_id=case.department_id,
        valid_from=today,
        valid_to=valid_to,
    )
    # A trusted internal call: the reviewer who approved the last step decided the case
    # (services checked their permission); the registry records them, via services.
    licence = registry.licence_issue(
        actor=actor,
        via="services",
        licence_type=lt,
        number=case.number,
        issuing_department=case.department,
        valid_from=today,
        valid_to=valid_to,
        holder_person=holder_person,
        holder_entity=holder_entity,
        data={"case": case.number, "item": case.item.code, **(data or {}), "signature": signature},
    )
    audit.record(
        actor=actor,
        action="services.case.licence",
        target=case,
        after={"licence": licence.number},
        via="services" if actor is None else "",
    )
    wallet.licence_file_enqueue(licence)
    return licence


def case_complete(*, case: Case, actor: Any) -> None:
    """办结, after the last step's approval (called by ``case_approve``, in its transaction):
    issue the result as an e-licence into the registry where the service produces one, enter a
    newborn where the form registers one (``register_newborn``), and complete the case."""
    licence = issue_licence(case=case, actor=actor)
    person = register_newborn(case, actor=actor)
    Case.workflow.apply(
        case,
        "complete",
        actor=actor,
        data={"person": person.pk} if person else {},
        changes={"licence_id": licence.pk if licence else None, "completed_at": timezone.now()},
    )
    after_transition(case, "complete")
    commitments.check_open(case, actor=actor)  # 告知承诺制: the 核查 task after the decision
