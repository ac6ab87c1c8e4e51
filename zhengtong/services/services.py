"""Writes of the services module: catalogue, drafts, cases and their workflow, bundles, ratings.

Permissions are checked here (roles at org units, via the workflow for case transitions); every
change is audited in its transaction. Payments, notifications and work orders are other modules:
imported lazily and used only through their contracts.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.accounts.roles import extend_role, register_permissions
from zhengtong.accounts.selectors import holders_of
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.services import eforms
from zhengtong.services.models import (
    Bundle,
    BundleApplication,
    Case,
    Draft,
    Opinion,
    Rating,
    ServiceItem,
    ServiceItemVersion,
)

logger = logging.getLogger(__name__)

register_permissions(
    {
        "services.view": gettext_lazy("See cases of one's scope"),
        "services.accept": gettext_lazy("Accept, refuse and request correction of cases"),
        "services.review": gettext_lazy("Review, approve and reject cases"),
        "services.supervise": gettext_lazy("Supervise cases, escalations and ratings"),
        "services.manage_catalogue": gettext_lazy("Publish service items"),
        "services.confirm_payment": gettext_lazy("Record a confirmed payment on a case (the platform only)"),
    }
)
extend_role("counter_staff", {"services.view", "services.accept"})
extend_role("reviewer", {"services.view", "services.review"})
extend_role("supervisor", {"services.view", "services.supervise", "services.manage_catalogue"})

audit_actions.register(
    {
        "services.item.publish": gettext_lazy("Publish service item version"),
        "services.case.submit": gettext_lazy("Submit application"),
        "services.case.escalate": gettext_lazy("Escalate overdue case"),
        "services.case.licence": gettext_lazy("Issue e-licence for case"),
        "services.case.newborn": gettext_lazy("Enter newborn of case in the population registry"),
        "services.bundle.submit": gettext_lazy("Submit bundle application"),
        "services.rating.create": gettext_lazy("Rate a service"),
        "services.rating.rectified": gettext_lazy("Rectification of a bad rating closed"),
        "services.rating.appeal": gettext_lazy("Appeal a rating's handling"),
        "services.rating.appeal_decide": gettext_lazy("Decide a rating appeal"),
    }
)

RATING_LEVELS = {
    5: gettext_lazy("very satisfied (非常满意)"),
    4: gettext_lazy("satisfied (满意)"),
    3: gettext_lazy("fair (基本满意)"),
    2: gettext_lazy("dissatisfied (不满意)"),
    1: gettext_lazy("very dissatisfied (非常不满意)"),
}
# GB/T 39734 online sub-indicators (整体满意度 is the overall score).
SUB_INDICATORS = {
    "efficiency": gettext_lazy("efficiency (办事效率)"),
    "guide_accuracy": gettext_lazy("accuracy of the guide (办事指南精确度)"),
    "convenience": gettext_lazy("convenience (办事便捷度)"),
    "usability": gettext_lazy("ease of use of the platform (平台操作性)"),
}


# --- helpers ----------------------------------------------------------------------------


def _notify(user, event: str, title: str, body: str = "", link: str = "") -> None:
    """Through the notify module's contract; a platform without it still processes cases."""
    try:
        from zhengtong.notify.services import notify
    except ImportError:  # pragma: no cover - the notify module is installed with services
        logger.warning("notify module unavailable; %s not sent", event)
        return
    notify(recipient=user, event=event, title=title, body=body, link=link)


def _case_link(case: Case) -> str:
    from django.urls import reverse

    return reverse("services:my_case", args=[case.pk])


def _new_number(prefix: str = "") -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.randbelow(10**10):010d}"


# --- catalogue --------------------------------------------------------------------------

VERSION_FIELDS = (
    "legal_basis",
    "conditions",
    "materials",
    "form_schema",
    "statutory_days",
    "promised_days",
    "fee_fen",
    "fee_basis",
    "consultation",
    "complaint",
    "guide",
    "review_steps",
    "produces",
)


# A form schema extension: completing a case of this item enters a newborn in the population
# registry (出生户口登记). It maps the person's fields to the form's fields, e.g.
# {"name": "baby_name", "sex": "baby_sex", "birth_date": "baby_birth_date"}.
NEWBORN_KEY = "x-registers-person"
NEWBORN_FIELDS = ("name", "sex", "birth_date")


def _clean_version(rules: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    statutory, promised = rules.get("statutory_days"), rules.get("promised_days")
    if not isinstance(statutory, int) or statutory < 0:
        errors["statutory_days"] = _("must be a whole number of working days")
    if not isinstance(promised, int) or promised < 0:
        errors["promised_days"] = _("must be a whole number of working days")
    elif isinstance(statutory, int) and promised > statutory:
        errors["promised_days"] = _("must not exceed the statutory limit")
    fee = rules.get("fee_fen", 0)
    if not isinstance(fee, int) or fee < 0:
        errors["fee_fen"] = _("must be a whole number of fen, 0 or more")
    schema = rules.get("form_schema") or {"type": "object", "properties": {}}
    try:
        import jsonschema

        jsonschema.Draft202012Validator.check_schema(schema)
    except Exception as exc:  # noqa: BLE001 - any schema error is the publisher's input error
        errors["form_schema"] = _("is not a valid JSON Schema: %s") % str(exc).splitlines()[0]
    for i, m in enumerate(rules.get("materials") or []):
        if not isinstance(m, dict) or not m.get("code") or not m.get("name"):
            errors[f"materials.{i}"] = _("needs a code and a name")
            continue
        src = m.get("source", "upload")
        if src not in ("upload", "population", "legal_entity") and not src.startswith(
            ("licence:", "service:")
        ):
            errors[f"materials.{i}.source"] = _("unknown source “%s”") % src
    newborn = schema.get(NEWBORN_KEY) if isinstance(schema, dict) else None
    if newborn is not None:
        props = schema.get("properties") or {}
        if not isinstance(newborn, dict) or set(newborn) != set(NEWBORN_FIELDS):
            errors[f"form_schema.{NEWBORN_KEY}"] = _("must map exactly %s to form fields") % ", ".join(
                NEWBORN_FIELDS
            )
        else:
            for target, name in newborn.items():
                if name not in props:
                    errors[f"form_schema.{NEWBORN_KEY}.{target}"] = (
                        _("“%s” is not a field of this form") % name
                    )
    for i, step in enumerate(rules.get("review_steps") or []):
        if step.get("mode", "single") not in ("single", "all", "any", "quorum"):
            errors[f"review_steps.{i}.mode"] = _("must be single, all, any or quorum")
        if step.get("mode") in ("all", "any", "quorum") and int(step.get("signers", 0)) < 1:
            errors[f"review_steps.{i}.signers"] = _("a joint sign-off needs at least one signer")
    if errors:
        raise ValidationError(fields=errors)
    return {**rules, "form_schema": schema}


@transaction.atomic
def item_publish(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    department,
    name_en: str = "",
    life_events: list[str] | None = None,
    visits: int = 0,
    online: bool = True,
    mobile: bool = True,
    **rules: Any,
) -> ServiceItem:
    """Create a service item or publish a new version of its rules (cases keep their version)."""
    ensure_can(actor, "services.manage_catalogue", department.org_unit, department)
    if visits not in (0, 1):
        raise ValidationError.for_field("visits", _("must be 0 or 1 (最多跑一次)"))
    rules = _clean_version(rules)
    item, _created = ServiceItem.objects.select_for_update().get_or_create(
        code=code,
        defaults={"name": name, "kind": kind, "department": department, "org_unit": department.org_unit},
    )
    item.name, item.name_en, item.kind = name, name_en, kind
    item.department, item.org_unit = department, department.org_unit
    item.life_events, item.visits, item.online, item.mobile = life_events or [], visits, online, mobile
    current = item.current_version
    if current is not None and all(
        getattr(current, f) == rules.get(f, getattr(current, f)) for f in VERSION_FIELDS
    ):
        item.is_published = True
        item.save()
        return item  # nothing changed: no new version (keeps the demo idempotent)
    number = (item.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = ServiceItemVersion.objects.create(
        item=item, number=number, **{f: rules[f] for f in VERSION_FIELDS if f in rules}
    )
    item.current_version = version
    item.is_published = True
    item.save()
    audit.record(
        actor=actor,
        action="services.item.publish",
        target=item,
        org_unit=item.org_unit,
        after={"code": code, "version": number},
    )
    return item


# --- drafts -----------------------------------------------------------------------------


def draft_save(*, actor: Any, key: str, data: dict[str, Any]) -> Draft:
    """Keep what the applicant typed so far (nothing is validated; nothing is lost)."""
    ensure_authenticated(actor)
    if not isinstance(data, dict) or len(str(data)) > 100_000:
        raise ValidationError.for_field("data", _("is too large"))
    draft, _created = Draft.objects.update_or_create(applicant=actor, key=key, defaults={"data": data})
    return draft


def draft_get(actor: Any, key: str) -> dict[str, Any]:
    if not getattr(actor, "is_authenticated", False):
        return {}
    draft = Draft.objects.filter(applicant=actor, key=key).first()
    return draft.data if draft else {}


# --- applying ---------------------------------------------------------------------------


def _store_upload(case_number: str, code: str, upload) -> dict[str, Any]:
    if upload.size > settings.SERVICES_UPLOAD_MAX_BYTES:
        raise ValidationError.for_field(
            f"materials.{code}", _("the file is larger than %d bytes") % settings.SERVICES_UPLOAD_MAX_BYTES
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    safe = "".join(c for c in upload.name if c.isalnum() or c in "._-")[-80:] or "file"
    path = default_storage.save(f"services/{case_number}/{code}-{safe}", upload)
    return {"by": "upload", "ref": path, "sha256": digest.hexdigest(), "size": upload.size}


def prepare_application(
    *,
    actor: Any,
    version: ServiceItemVersion,
    raw: dict[str, Any],
    files: dict[str, Any] | None = None,
    holdings: eforms.Holdings | None = None,
    prefix: str = "",
    strict: bool = False,
) -> tuple[dict, dict, dict, dict, eforms.Holdings]:
    """Validate an application: the form data with the registry's values put in, their sources,
    the material status and the uploads still to store. Raises ValidationError with field errors.
    ``strict``: ``raw`` holds form fields only (an API's data), so a name the form does not
    define is an error ("unknown field") rather than dropped."""
    holdings = holdings or eforms.holdings_for(actor)
    needs_results = [m["source"][8:] for m in version.materials if m.get("source", "").startswith("service:")]
    if needs_results:
        holdings.completed_items |= set(
            Case.objects.filter(applicant=actor, state="completed", item__code__in=needs_results).values_list(
                "item__code", flat=True
            )
        )
    schema = version.form_schema or {"type": "object", "properties": {}}
    filled, sources = eforms.autofill(schema, holdings)
    data = eforms.coerce(schema, raw)
    data.update(filled)  # what the government holds wins: never retyped, never tampered with
    errors: dict[str, list[str]] = eforms.check_known(schema, raw, prefix=prefix) if strict else {}
    try:
        eforms.validate(schema, data, prefix=prefix)
    except ValidationError as exc:
        for name, messages in exc.fields.items():
            errors.setdefault(name, []).extend(messages)
    status = eforms.material_status(version.materials, holdings)
    uploads: dict[str, Any] = {}
    files = files or {}
    for m in version.materials:
        code = m["code"]
        upload = files.get(f"{prefix}material_{code}")
        if status[code]["by"]:
            continue
        if upload is not None:
            uploads[code] = upload
        elif m.get("required", True):
            src = m.get("source", "upload")
            msg = (
                _("upload this material")
                if src == "upload"
                else _("the government holds no record for this: upload it instead")
            )
            errors.setdefault(f"{prefix}material_{code}", []).append(msg)
    if errors:
        raise ValidationError(fields=errors)
    return data, sources, status, uploads, holdings


@transaction.atomic
def case_submit(
    *,
    actor: Any,
    item: ServiceItem,
    raw: dict[str, Any],
    files: dict[str, Any] | None = None,
    bundle_application: BundleApplication | None = None,
    prepared: tuple | None = None,
    strict: bool = True,
) -> Case:
    """File an application under the item's current version; starts the promised-limit clock.
    A fee creates a bill (reference "case:<id>"); the case waits for payment before acceptance.
    ``raw`` holds form fields only, unless ``strict`` is False (a whole HTML post): a name the
    form does not define is a field error."""
    ensure_authenticated(actor)
    if actor.is_staff_member and not actor.is_superuser:
        raise PermissionDenied(_("staff accounts do not apply for services"))
    if not item.is_published or item.current_version_id is None:
        raise NotFound(_("no published service item %s") % item.code)
    version = item.current_version
    data, sources, status, uploads, holdings = prepared or prepare_application(
        actor=actor, version=version, raw=raw, files=files, strict=strict
    )
    number = _new_number()
    for code, upload in uploads.items():
        status[code] = _store_upload(number, code, upload)
    case = Case(
        number=number,
        item=item,
        item_version=version,
        applicant=actor,
        org_unit=item.org_unit,
        org_path=item.org_unit.path,
        department=item.department,
        bundle_application=bundle_application,
        data=data,
        sources=sources,
        materials=status,
        fee_fen=version.fee_fen,
        state=Case.workflow.initial,
        submitted_at=timezone.now(),
    )
    case.applicant_person = holdings.person
    case.applicant_entity = holdings.entity
    Case.workflow.start_clock(case)  # the clock goes into the INSERT
    case.save()
    Draft.objects.filter(applicant=actor, key=f"item:{item.code}").delete()
    if case.fee_fen and bundle_application is None:
        from zhengtong.accounts.services import system_actor
        from zhengtong.payments.services import bill_create

        # The platform issues the bill for the department (the applicant holds no billing role).
        bill_create(
            actor=system_actor(),
            payer=actor,
            reference=f"case:{case.pk}",
            org_unit=item.org_unit,
            department=item.department,
            items=[(item.name, case.fee_fen)],
            description=f"{item.name} {case.number}",
        )
    _notify(
        actor,
        "services.case.submitted",
        _("Application %(number)s received: %(item)s") % {"number": case.number, "item": item.name},
        _("Pay the fee to have it accepted.") if case.fee_fen and bundle_application is None else "",
        _case_link(case),
    )
    # Last: the audit append holds the trail's lock until commit, so little should follow it.
    Case.workflow.start(
        case, actor=actor, action="submit", after={"item": item.code, "version": version.number}
    )
    return case


def case_bill(case: Case):
    """The bill that pays this case (its own, or its bundle's), or None."""
    try:
        from zhengtong.payments.services import bill_for
    except ImportError:  # pragma: no cover
        return None
    ref = f"bundle:{case.bundle_application_id}" if case.bundle_application_id else f"case:{case.pk}"
    return bill_for(ref)


APPLICANT_EVENTS = {
    "accept": gettext_lazy("Your application %(number)s was accepted"),
    "refuse": gettext_lazy("Your application %(number)s was not accepted"),
    "request_correction": gettext_lazy("Your application %(number)s needs correction"),
    "send_back": gettext_lazy("Your application %(number)s needs correction"),
    "reject": gettext_lazy("Your application %(number)s was rejected"),
    "complete": gettext_lazy("Your application %(number)s is completed"),
    "pay": gettext_lazy("Fee for application %(number)s received"),
}


def _after_transition(case: Case, action: str, note: str = "") -> None:
    title = APPLICANT_EVENTS.get(action)
    if title:
        _notify(
            case.applicant,
            f"services.case.{action}",
            str(title) % {"number": case.number},
            note,
            _case_link(case),
        )


@transaction.atomic
def case_act(
    *,
    actor: Any,
    case: Case,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    items: list[str] | None = None,
) -> Case:
    """Accept, refuse (reason), request correction (reason and every missing item at once),
    send back from review, or withdraw (the applicant)."""
    if action not in ("accept", "refuse", "request_correction", "send_back", "withdraw"):
        raise ValidationError.for_field("action", _("unknown action “%s”") % action)
    changes: dict[str, Any] = {}
    if action in ("request_correction", "send_back"):
        items = [str(i).strip()[:300] for i in (items or []) if str(i).strip()]
        if not items:
            raise ValidationError.for_field("items", _("list every item the applicant must correct, at once"))
        changes["correction_items"] = items
    if action in ("refuse",):
        changes["decision_note"] = note
    Case.workflow.apply(
        case,
        action,
        actor=actor,
        note=note,
        data={"items": items} if items else {},
        changes=changes,
        expected_version=expected_version,
    )
    _after_transition(case, action, note)
    return case


@transaction.atomic
def case_resubmit(
    *,
    actor: Any,
    case: Case,
    raw: dict[str, Any],
    files: dict[str, Any] | None = None,
    expected_version: int | None = None,
    strict: bool = True,
) -> Case:
    """The applicant's corrected application (补正): validated again, then back to the counter;
    the clock resumes with the days it had left. ``strict`` as for case_submit."""
    if case.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("only the applicant corrects an application"))
    data, sources, status, uploads, _holdings = prepare_application(
        actor=actor, version=case.item_version, raw={**case.data, **raw}, files=files, strict=strict
    )
    for code, upload in uploads.items():
        status[code] = _store_upload(case.number, code, upload)
    Case.workflow.apply(
        case,
        "resubmit",
        actor=actor,
        changes={"data": data, "sources": sources, "materials": status, "correction_items": []},
        expected_version=expected_version,
    )
    return case


def _step_outcome(step: dict, approvals: int, rejections: int) -> str:
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


@transaction.atomic
def case_review(
    *, actor: Any, case: Case, decision: str, note: str = "", expected_version: int | None = None
) -> Case:
    """A reviewer's opinion on the current step. The step ends when its sign-off rule is met
    (single, all, any, quorum); the last step's approval decides and completes the case.
    Two reviewers acting on the same version: one wins, the other gets Conflict."""
    if decision not in ("approve", "reject"):
        raise ValidationError.for_field("decision", _("must be approve or reject"))
    if decision == "reject" and not note.strip():
        raise ValidationError.for_field("note", _("a reason is required for this action"))
    step = case.current_step
    if step is None:
        raise Conflict(_("this case is not under review"), code="invalid_transition")
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
        raise Conflict(_("you have already given your opinion on this step"), code="duplicate") from None
    counts = {"approve": 0, "reject": 0}
    for d in Opinion.objects.filter(case=case, step_index=case.step_index).values_list("decision", flat=True):
        counts[d] += 1
    outcome = _step_outcome(step, counts["approve"], counts["reject"])
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
        _after_transition(case, "reject", note)
    elif outcome == "approved" and case.step_index + 1 >= len(case.steps):
        Case.workflow.apply(case, "approve", actor=actor, note=note, data=data, expected_version=version)
        _complete(case, actor=actor)
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


def _complete(case: Case, *, actor: Any) -> None:
    """办结: issue the result as an e-licence into the registry where the service produces one."""
    from zhengtong.accounts.services import system_actor
    from zhengtong.registry import services as registry

    version = case.item_version
    licence = None
    lt = version.produces
    if lt is not None:
        holder_person = holder_entity = None
        if lt.holder_kind == "person":
            holder_person = case.applicant_person or eforms.holdings_for(case.applicant).person
        else:
            holder_entity = case.applicant_entity or eforms.holdings_for(case.applicant).entity
        if holder_person or holder_entity:
            today = timezone.localdate()
            valid_to = today.replace(year=today.year + lt.validity_years) if lt.validity_years else None
            licence = registry.licence_issue(
                actor=system_actor(),
                licence_type=lt,
                number=case.number,
                issuing_department=case.department,
                valid_from=today,
                valid_to=valid_to,
                holder_person=holder_person,
                holder_entity=holder_entity,
                data={"case": case.number, "item": case.item.code},
            )
            audit.record(
                actor=actor, action="services.case.licence", target=case, after={"licence": licence.number}
            )
    person = register_newborn(case, actor=actor)
    Case.workflow.apply(
        case,
        "complete",
        actor=actor,
        data={"person": person.pk} if person else {},
        changes={"licence_id": licence.pk if licence else None, "completed_at": timezone.now()},
    )
    _after_transition(case, "complete")


def _free_resident_id(region: str, birth, sex: str) -> str:
    """The lowest unused resident ID number for a birth date and sex in a region (the sequence
    number is odd for males, even for females: GB 11643)."""
    from zhengtong.core.identifiers import generate_resident_id
    from zhengtong.registry.models import Person

    used = {
        int(rid[14:17])
        for rid in Person.objects.filter(resident_id__startswith=f"{region}{birth:%Y%m%d}").values_list(
            "resident_id", flat=True
        )
        if rid[14:17].isdigit()
    }
    for seq in range(1 if sex == "M" else 2, 1000, 2):
        if seq not in used:
            return generate_resident_id(region, birth, seq)
    raise Conflict(_("no resident ID number is free for this date of birth"), code="exhausted")


def register_newborn(case: Case, *, actor: Any):
    """出生户口登记: enter the newborn of a completed household-registration case in the
    population registry, in the household (org unit and address) of the applying parent, with a
    newly assigned resident ID number. Only for items whose form declares ``x-registers-person``.

    Idempotent: a person of the same name, sex and date of birth already in that household is
    the newborn (a repeated completion or a second application for the same child), and is
    returned instead of a new record. The platform writes the registry through the registry's
    own service (as it issues e-licences); the case's actor is named in the audit event."""
    import datetime as dt

    from zhengtong.accounts.permissions import in_subtree
    from zhengtong.accounts.services import system_actor
    from zhengtong.core.identifiers import IdentifierError
    from zhengtong.registry import services as registry
    from zhengtong.registry.models import Person

    spec = (case.item_version.form_schema or {}).get(NEWBORN_KEY)
    if not spec:
        return None
    data = case.data or {}
    name = str(data.get(spec["name"]) or "").strip()
    sex = str(data.get(spec["sex"]) or "").strip()
    try:
        birth = dt.date.fromisoformat(str(data.get(spec["birth_date"]) or ""))
    except ValueError:
        raise ValidationError.for_field(spec["birth_date"], _("is not a valid date")) from None
    if not name:
        raise ValidationError.for_field(spec["name"], _("is required"))
    if sex not in ("M", "F"):
        raise ValidationError.for_field(spec["sex"], _("choose one of the options"))
    parent = case.applicant_person or eforms.holdings_for(case.applicant).person
    if parent is None:
        raise ValidationError.for_field(
            "applicant",
            _("the applying parent is not in the population registry: the newborn has no household"),
        )
    # Newborn registrations into one household are serialised on the parent's row.
    parent = Person.objects.select_for_update().select_related("org_unit").get(pk=parent.pk)
    household = parent.org_unit
    if not in_subtree(household.path, case.org_unit.path):
        raise ValidationError.for_field(
            "applicant", _("the parent's household is registered outside the area of this department")
        )
    existing = Person.objects.filter(
        name=name, sex=sex, birth_date=birth, org_unit=household, address=parent.address
    ).first()
    if existing is not None:
        return existing
    for _attempt in range(3):
        try:
            resident_id = _free_resident_id(household.code[:6], birth, sex)
        except IdentifierError as exc:
            raise ValidationError.for_field(spec["birth_date"], str(exc)) from None
        try:
            with transaction.atomic():
                person = registry.person_create(
                    actor=system_actor(),
                    org_unit=household,
                    resident_id=resident_id,
                    name=name,
                    sex=sex,
                    birth_date=birth.isoformat(),
                    address=parent.address,
                    ethnicity=parent.ethnicity,
                )
            break
        except (IntegrityError, Conflict):
            continue  # another registration took the number at the same moment: take the next
    else:
        raise Conflict(_("the registry is busy; complete the case again"), code="busy")
    audit.record(
        actor=actor,
        action="services.case.newborn",
        target=case,
        org_unit=household,
        after={"person": person.pk, "household": household.code},
    )
    return person


def case_mark_paid(case: Case) -> None:
    """The bill was paid: record it on the case's timeline (once) so it may be accepted."""
    from zhengtong.accounts.services import system_actor

    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.paid_at is not None or case.state != "submitted":
        if case.paid_at is None:
            Case.objects.filter(pk=case.pk).update(paid_at=timezone.now())
        return
    Case.workflow.apply(case, "pay", actor=system_actor(), changes={"paid_at": timezone.now()})
    _after_transition(case, "pay")


def on_case_paid(bill) -> None:
    ref = bill.reference.split(":", 1)[1]
    case = Case.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    if case is not None:
        case_mark_paid(case)


def on_bundle_paid(bill) -> None:
    ref = bill.reference.split(":", 1)[1]
    if not ref.isdigit():
        return
    BundleApplication.objects.filter(pk=int(ref)).update(paid=True)
    for case in Case.objects.filter(bundle_application_id=int(ref)).order_by("id"):
        case_mark_paid(case)


def on_overdue(ids: list[int]) -> None:
    """Newly overdue cases (a chunk of the SLA scan, which stamped their ``escalated_at``):
    escalate to the supervising role of their county (督办). Set-based, so a scan over millions of
    open cases stays cheap: one audit event and one notification per supervisor and org unit,
    naming how many cases and which."""
    from django.urls import reverse

    rows = list(Case.objects.filter(pk__in=ids).values_list("pk", "org_path", "number"))
    by_path: dict[str, list[tuple[int, str]]] = {}
    for pk, path, number in rows:
        by_path.setdefault(path, []).append((pk, number))
    link = reverse("services:worklist") + "?view=overdue"
    for path, cases in by_path.items():
        # The nearest supervisors (deepest org unit) are told; higher levels only when none is nearer.
        nearest = holders_of("services.supervise", path, nearest=True)[:20]
        with transaction.atomic():  # escalated_at was stamped by the scan's own UPDATE
            for supervisor in nearest:
                _notify(
                    supervisor,
                    "services.case.overdue",
                    _("%(count)d case(s) overdue: %(first)s")
                    % {"count": len(cases), "first": ", ".join(n for _pk, n in cases[:3])},
                    link=link,
                )
            audit.record(
                actor=None,
                action="services.case.escalate",
                target_type="services.case",
                target_id=str(cases[0][0]) if len(cases) == 1 else "",
                target_label=path,
                after={
                    "count": len(cases),
                    "cases": [n for _pk, n in cases[:100]],
                    "supervisors": [u.username for u in nearest],
                },
            )


# --- bundles (一件事) ---------------------------------------------------------------------


def bundle_parts(bundle: Bundle) -> list[ServiceItem]:
    return list(
        bundle.items.filter(is_published=True).select_related("current_version", "department", "org_unit")
    )


def bundle_schema(bundle: Bundle) -> tuple[dict, list[tuple[ServiceItem, dict]]]:
    """The combined form: shared fields (``x-shared`` or the same name in several parts) asked
    once, then each part's own fields."""
    parts = bundle_parts(bundle)
    seen: dict[str, int] = {}
    for item in parts:
        for name in item.current_version.form_schema.get("properties") or {}:
            seen[name] = seen.get(name, 0) + 1
    shared = {"type": "object", "properties": {}, "required": []}
    own: list[tuple[ServiceItem, dict]] = []
    for item in parts:
        schema = item.current_version.form_schema
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        mine = {"type": "object", "properties": {}, "required": []}
        for name, prop in props.items():
            if seen[name] > 1 or prop.get("x-shared"):
                if name not in shared["properties"]:
                    shared["properties"][name] = prop
                if name in required and name not in shared["required"]:
                    shared["required"].append(name)
            else:
                mine["properties"][name] = prop
                if name in required:
                    mine["required"].append(name)
        own.append((item, mine))
    return shared, own


@transaction.atomic
def bundle_submit(
    *, actor: Any, bundle: Bundle, raw: dict[str, Any], files: dict[str, Any] | None = None
) -> BundleApplication:
    """Fan a combined application out to one case per part; one bill for all the fees
    (reference "bundle:<id>"). Shared fields are typed once; every part is validated first."""
    ensure_authenticated(actor)
    shared, own = bundle_schema(bundle)
    holdings = eforms.holdings_for(actor)
    prepared = []
    errors: dict[str, list[str]] = {}
    shared_values = {k: raw[k] for k in shared["properties"] if k in raw}
    for item, _mine in own:
        prefix = f"{item.code}."
        part_own = {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}
        # The part's own (prefixed) names must be its form's; the rest of the post (the token,
        # buttons, uploads) is not form data and is not checked.
        for key, messages in eforms.check_known(
            item.current_version.form_schema, part_own, prefix=prefix
        ).items():
            errors.setdefault(key, []).extend(messages)
        part_raw = {**shared_values, **part_own}
        part_files = {k: v for k, v in (files or {}).items()}
        try:
            result = prepare_application(
                actor=actor, version=item.current_version, raw=part_raw, files=part_files, holdings=holdings
            )
            prepared.append((item, result))
        except ValidationError as exc:
            for field_name, messages in exc.fields.items():
                key = field_name if field_name in shared["properties"] else prefix + field_name
                errors.setdefault(key, []).extend(m for m in messages if m not in errors.get(key, []))
    if errors:
        raise ValidationError(fields=errors)
    app = BundleApplication.objects.create(
        bundle=bundle,
        applicant=actor,
        number=_new_number("YJS"),
        data={k: v for k, v in shared_values.items()},
        fee_fen=sum(item.current_version.fee_fen for item, _r in prepared),
    )
    for item, result in prepared:
        case_submit(actor=actor, item=item, raw={}, bundle_application=app, prepared=result)
    audit.record(
        actor=actor,
        action="services.bundle.submit",
        target=app,
        org_unit=bundle.org_unit,
        after={"bundle": bundle.code, "parts": [i.code for i, _r in prepared], "fee_fen": app.fee_fen},
    )
    Draft.objects.filter(applicant=actor, key=f"bundle:{bundle.code}").delete()
    if app.fee_fen:
        from zhengtong.accounts.services import system_actor
        from zhengtong.payments.services import bill_create

        bill_create(
            actor=system_actor(),
            payer=actor,
            reference=f"bundle:{app.pk}",
            org_unit=bundle.org_unit,
            items=[
                (item.name, item.current_version.fee_fen)
                for item, _r in prepared
                if item.current_version.fee_fen
            ],
            description=f"{bundle.name} {app.number}",
        )
    return app


# --- 好差评 ----------------------------------------------------------------------------------


@transaction.atomic
def rating_submit(
    *, actor: Any, case: Case, score: int, sub_scores: dict[str, int] | None = None, comment: str = ""
) -> Rating:
    """The applicant rates a completed case once (一事一评). A bad rating (1–2) opens a
    rectification work order to the department, with a deadline, call-back and result."""
    if case.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("only the applicant rates a case"))
    if case.state not in ("completed", "rejected", "refused"):
        raise Conflict(_("a case is rated after it ends"), code="invalid_state")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError.for_field("score", _("must be 1 to 5"))
    subs: dict[str, int] = {}
    for key, value in (sub_scores or {}).items():
        if key not in SUB_INDICATORS:
            raise ValidationError.for_field(f"sub_scores.{key}", _("is not a sub-indicator"))
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError.for_field(f"sub_scores.{key}", _("must be 1 to 5"))
        subs[key] = value
    comment = (comment or "").strip()
    if score <= 2 and not comment:
        raise ValidationError.for_field("comment", _("tell us what went wrong, so it can be put right"))
    if len(comment) > 2000:
        raise ValidationError.for_field("comment", _("at most %d characters") % 2000)
    ended = case.completed_at or case.updated_at
    if (timezone.now() - ended).days > settings.SERVICES_RATING_WINDOW_DAYS:
        raise Conflict(_("the time for rating this case has passed"), code="rating_closed")
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                case=case,
                applicant=actor,
                item=case.item,
                department=case.department,
                org_unit=case.org_unit,
                score=score,
                sub_scores=subs,
                comment=comment,
            )
    except IntegrityError:
        raise Conflict(_("this case has been rated already"), code="duplicate") from None
    audit.record(actor=actor, action="services.rating.create", target=case, after={"score": score, **subs})
    if score <= 2:
        from zhengtong.accounts.services import system_actor
        from zhengtong.workorders.services import work_order_open

        # Opened by the platform on the applicant's behalf, routed to the case's department.
        wo = work_order_open(
            actor=system_actor(),
            kind="rectification",
            category="government_services",
            title=_("Bad rating of %(item)s (case %(number)s)")
            % {"item": case.item.name, "number": case.number},
            description=comment,
            region=case.org_unit,
            requester=actor,
            department=case.department,
            source_ref=f"rating:{rating.pk}",
            due_working_days=settings.SERVICES_RECTIFICATION_DAYS,
        )
        rating.state = Rating.State.RECTIFYING
        rating.work_order_id = wo.pk
        rating.save(update_fields=["state", "work_order_id"])
    return rating


def on_rating_work_order_closed(work_order) -> None:
    """workorders hook: the rectification closed; its result goes on the rating."""
    ref = (work_order.source_ref or "").split(":", 1)[1]
    rating = Rating.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    if rating is None or rating.state != Rating.State.RECTIFYING:
        return
    result = ""
    for attr in ("result", "reply", "resolution", "answer"):
        result = getattr(work_order, attr, "") or ""
        if result:
            break
    Rating.objects.filter(pk=rating.pk).update(
        state=Rating.State.RECTIFIED, rectification_result=str(result)[:4000]
    )
    audit.record(
        actor=None,
        action="services.rating.rectified",
        target=rating.case,
        after={"work_order": work_order.pk},
    )
    _notify(
        rating.applicant,
        "services.rating.rectified",
        _("Your rating of case %s was followed up") % rating.case.number,
        str(result)[:500],
        _case_link(rating.case),
    )


@transaction.atomic
def rating_appeal(*, actor: Any, rating: Rating, reason: str) -> Rating:
    """The applicant disputes how a bad rating was handled (申诉复核)."""
    if rating.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("only the applicant appeals"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError.for_field("reason", _("is required"))
    updated = Rating.objects.filter(pk=rating.pk, state=Rating.State.RECTIFIED).update(
        state=Rating.State.APPEALED, appeal_reason=reason[:2000]
    )
    if updated != 1:
        raise Conflict(_("only a rectified rating can be appealed"), code="invalid_state")
    audit.record(
        actor=actor, action="services.rating.appeal", target=rating.case, after={"rating": rating.pk}
    )
    rating.refresh_from_db()
    return rating


@transaction.atomic
def rating_appeal_decide(*, actor: Any, rating: Rating, revise: bool, note: str) -> Rating:
    """A supervisor reviews the appeal: the handling is revised (reopened) or upheld."""
    ensure_can(actor, "services.supervise", rating.org_unit, rating.department)
    if not (note or "").strip():
        raise ValidationError.for_field("note", _("a reason is required for this action"))
    target = Rating.State.REVISED if revise else Rating.State.UPHELD
    updated = Rating.objects.filter(pk=rating.pk, state=Rating.State.APPEALED).update(
        state=target, appeal_result=note[:2000]
    )
    if updated != 1:
        raise Conflict(_("this rating is not under appeal"), code="invalid_state")
    audit.record(
        actor=actor, action="services.rating.appeal_decide", target=rating.case, after={"state": target}
    )
    rating.refresh_from_db()
    _notify(
        rating.applicant,
        "services.rating.appeal",
        _("Your appeal was reviewed"),
        note,
        _case_link(rating.case),
    )
    return rating
