"""Cases (办件): applying, the counter's and the applicant's transitions, payment, escalation.

Each workflow transition is its own function (``case_accept``, ``case_refuse``, ...); the
workflow checks the role (``services.accept`` at the case's unit, or being the applicant), the
state and the version. The reviewers' transitions are in ``reviews``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections, router, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.core import prepared
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.prepared import together
from zhengtong.credit import selectors as credit_selectors
from zhengtong.payments.services import bill_create_for_case, bill_for, bill_is_paid
from zhengtong.registry import selectors as registry_selectors
from zhengtong.services import eforms, notices
from zhengtong.services.models import BundleApplication, Case, Draft, ServiceItem, ServiceItemVersion
from zhengtong.services.services import autodecide, commitments
from zhengtong.services.services.common import (
    after_transition,
    case_link,
    escalate_to_supervisors,
    new_number,
    tell,
)
from zhengtong.sharing import services as sharing

if TYPE_CHECKING:
    from zhengtong.payments.models import Bill

logger = logging.getLogger(__name__)


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


def _add_licence_in_renewal(actor: Any, version: ServiceItemVersion, holdings: eforms.Holdings) -> None:
    """An item that issues licence type T and asks for a T licence is its renewal (换证): the
    applicant's expired T licence is that material, so it is not asked for again as an upload."""
    produces = version.produces.code if version.produces_id else ""
    if not produces or produces in holdings.licences:
        return
    if not any(m.get("source") == f"licence:{produces}" for m in version.materials):
        return
    expired = registry_selectors.renewable_licence(actor, produces)
    if expired is not None:
        holdings.licences[produces] = expired


def prepare_application(
    *,
    actor: Any,
    version: ServiceItemVersion,
    raw: dict[str, Any],
    files: dict[str, Any] | None = None,
    holdings: eforms.Holdings | None = None,
    prefix: str = "",
    strict: bool = False,
    commit: set[str] | frozenset[str] = frozenset(),
) -> tuple[dict, dict, dict, dict, eforms.Holdings]:
    """Validate an application: the form data with the registry's values put in, their sources,
    the material status and the uploads still to store. Raises ValidationError with field errors.
    ``strict``: ``raw`` holds form fields only (an API's data), so a name the form does not
    define is an error ("unknown field") rather than dropped. ``commit``: the codes of materials
    the applicant replaces by signing the item's 承诺书 (告知承诺制)."""
    holdings = holdings or eforms.holdings_for(actor)
    needs_results = [m["source"][8:] for m in version.materials if m.get("source", "").startswith("service:")]
    if needs_results:
        holdings.completed_items |= set(
            Case.objects.filter(applicant=actor, state="completed", item__code__in=needs_results).values_list(
                "item__code", flat=True
            )
        )
    _add_licence_in_renewal(actor, version, holdings)
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
        elif code in commit:
            text = commitments.current_text(m["commitment"]) if m.get("commitment") else None
            excluded = commitments.commitment_excluded(holdings) if text else ""
            if text is None:
                errors.setdefault(f"{prefix}material_{code}", []).append(
                    _("no commitment may replace this material: upload it")
                )
            elif excluded:
                errors.setdefault(f"{prefix}material_{code}", []).append(excluded)
            else:
                status[code] = {"by": "commitment", "text": text.code, "version": text.version}
        elif m.get("required", True) and m.get("tolerable"):
            # 容缺受理: accepted as owed; the counter sets the date it is due by at acceptance.
            excluded = tolerance_excluded(holdings)
            if excluded:
                errors.setdefault(f"{prefix}material_{code}", []).append(excluded)
            else:
                status[code] = {"by": "", "owed": True}
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


def tolerance_excluded(holdings: eforms.Holdings) -> str:
    """Why the applicant may not be accepted with a material owed (容缺受理), or "" when they may:
    an enterprise on the serious-dishonesty list or in credit grade D (the credit module's joint
    measures) must supply everything first; so must a person with an unrepaired false commitment
    (告知承诺制, ``credit.selectors.measures_for_person``)."""
    if holdings.entity is not None and credit_selectors.measures_for(holdings.entity.uscc).flagged:
        return _("your credit record excludes acceptance with a material owed (容缺受理): upload it")
    if (
        holdings.person is not None
        and credit_selectors.measures_for_person(holdings.person.resident_id).flagged
    ):
        return _(
            "a false commitment on your record excludes acceptance with a material owed (容缺受理): upload it"
        )
    return ""


def owed_of(case: Case) -> list[dict[str, str]]:
    """The materials of ``case`` accepted as owed and not yet supplied."""
    return [
        {"code": m["code"], "name": m.get("name", m["code"]), "form": m.get("form", "")}
        for m in case.item_version.materials
        if (case.materials.get(m["code"]) or {}).get("owed")
    ]


# A registry material another department holds is confirmed under the item department's sharing
# grant: verification (match / no match, never the data), in the exchange log with the case number.
_REGISTRY_MATERIALS = {"population": ("person", "resident_id"), "legal_entity": ("entity", "uscc")}


def _confirm_through_grants(
    *, actor: Any, number: str, item: ServiceItem, version, status: dict, holdings
) -> None:
    for m in version.materials:
        source = m.get("source", "")
        if source not in _REGISTRY_MATERIALS or status[m["code"]].get("by") != source:
            continue
        registry, key = _REGISTRY_MATERIALS[source]
        record = holdings.person if registry == "person" else holdings.entity
        field = f"material_{m['code']}"
        try:
            answer = sharing.verify_for_case(
                consumer_department=item.department,
                registry=registry,
                subject={key: getattr(record, key), "name": record.name},
                case_number=number,
                item_code=item.code,
                end_user=f"user:{actor.pk}",
            )
        except PermissionDenied as exc:  # the grant is suspended, or refuses this record
            raise ValidationError.for_field(field, _("%s: upload it instead") % exc.message) from None
        if answer is None:
            if settings.SHARING_SERVICES_REQUIRE_GRANT:
                raise ValidationError.for_field(
                    field, _("no sharing grant covers this record: upload it instead")
                )
            continue
        if answer["result"] != "match":
            raise ValidationError.for_field(
                field, _("the registry does not confirm this record: upload it instead")
            )
        receipt = answer["receipt"]["payload"]
        status[m["code"]] = {**status[m["code"]], "exchange": receipt["id"], "grant": receipt["grant"]}


def _case_insert(case: Case, *, draft_key: str) -> None:
    """Write the new case and drop its applicant's draft of the item: on PostgreSQL in one
    statement (the draft's DELETE a data-modifying CTE of the case's INSERT), elsewhere one after
    the other. In the caller's transaction."""
    connection = connections[router.db_for_write(Case)]
    if connection.vendor != "postgresql":
        case.save(force_insert=True)
        Draft.objects.filter(applicant_id=case.applicant_id, key=draft_key).delete()
        return
    insert, params = prepared.insert_sql(case, connection)
    draft, quote = Draft._meta, connection.ops.quote_name
    applicant, key = (quote(draft.get_field(f).column) for f in ("applicant", "key"))
    # SQL text from the models (no input): the values are parameters.
    sql = (
        f"WITH zt_draft AS (DELETE FROM {quote(draft.db_table)} WHERE {applicant} = %s AND {key} = %s)"  # noqa: S608
        f" {insert} RETURNING {quote(Case._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [case.applicant_id, draft_key, *params])
        prepared.saved(case, cursor.fetchone()[0], connection)


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
    commit: set[str] | frozenset[str] = frozenset(),
    submitted_by: Any = None,
    intake_channel: str = "online",
) -> Case:
    """File an application under the item's current version; starts the promised-limit clock.
    ``submitted_by``/``intake_channel``: who filed it for the applicant (``actor``) when not they
    themselves: a counter clerk ("counter") or a family proxy with consent ("proxy"); those
    callers (``services.intake``) checked their right to, and are named on the timeline.
    A fee creates a bill (reference "case:<id>"); the case waits for payment before acceptance.
    ``raw`` holds form fields only, unless ``strict`` is False (a whole HTML post): a name the
    form does not define is a field error."""
    ensure_authenticated(actor)
    if actor.is_staff_member and not actor.is_superuser:
        raise PermissionDenied(_("staff accounts do not apply for services"))
    if not item.is_published or item.current_version_id is None:
        raise NotFound(_("no published service item %s") % item.code)
    if not eforms.may_apply_as_entity(actor, item.code):
        raise PermissionDenied(_("you hold no live authorisation to act for your legal entity on this item"))
    version = item.current_version
    data, sources, status, uploads, holdings = prepared or prepare_application(
        actor=actor, version=version, raw=raw, files=files, strict=strict, commit=commit
    )
    number = new_number()
    _confirm_through_grants(
        actor=actor, number=number, item=item, version=version, status=status, holdings=holdings
    )
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
        submitted_by=submitted_by,
        intake_channel=intake_channel,
    )
    case.applicant_person = holdings.person
    case.applicant_entity = holdings.entity
    Case.workflow.start_clock(case)  # the clock goes into the INSERT
    _case_insert(case, draft_key=f"item:{item.code}")
    commitments.record_signed(case, signer=actor)
    if case.fee_fen and bundle_application is None:
        # The bill is issued on the applicant's behalf (they hold no billing role): the trusted
        # entry point of payments names them as the actor, via this module.
        bill_create_for_case(
            payer=actor,
            via="services",
            reference=f"case:{case.pk}",
            org_unit=item.org_unit,
            department=item.department,
            items=[(item.name, case.fee_fen)],
            description=f"{item.name} {case.number}",
        )
    after = {"item": item.code, "version": version.number}
    if submitted_by is not None:
        after |= {"applicant": actor.get_username(), "channel": intake_channel}
    # The timeline entries, audit events, outbox and inbox messages from here on are read by
    # nobody before the commit: on PostgreSQL they go in one statement at the end of the block.
    with together():
        Case.workflow.start(case, actor=submitted_by or actor, action="submit", after=after)
        if autodecide.decide_on_submit(case=case, holdings=holdings):  # 秒批, when the version has rules
            return case  # decided at once: the applicant hears of the decision, not of the receipt too
        tell(
            actor,
            "services.case.submitted",
            _("Application %(number)s received: %(item)s") % {"number": case.number, "item": item.name},
            _("Pay the fee to have it accepted.") if case.fee_fen and bundle_application is None else "",
            case_link(case),
            applicant=True,
        )
    return case


def case_bill(case: Case):
    """The bill that pays this case (its own, or its bundle's), or None."""
    ref = f"bundle:{case.bundle_application_id}" if case.bundle_application_id else f"case:{case.pk}"
    return bill_for(ref)


# --- the counter's transitions (行政许可法 §32) and the applicant's ---------------------------


def _correction_items(items: list[str] | None) -> list[str]:
    cleaned = [str(i).strip()[:300] for i in (items or []) if str(i).strip()]
    if not cleaned:
        raise ValidationError.for_field("items", _("list every item the applicant must correct, at once"))
    return cleaned


@transaction.atomic
def case_accept(
    *,
    actor: Any,
    case: Case,
    note: str = "",
    expected_version: int | None = None,
    owed_until: dt.date | None = None,
) -> Case:
    """Accept (受理) a submitted case whose fee, if any, is paid; it goes to review.

    容缺受理: when tolerable materials are owed, ``owed_until`` is the date they must arrive by
    (today at the earliest, the promised deadline at the latest); the applicant gets one notice
    listing every owed item, its form and that date, and the case cannot be approved before they
    arrive (``case_supply``) nor survive the date (``owed_scan`` terminates it)."""
    owed = owed_of(case)
    changes: dict[str, Any] = {}
    if owed:
        if owed_until is None:
            raise ValidationError.for_field(
                "owed_until", _("materials are owed (容缺): set the date they must arrive by")
            )
        latest = case.sla_deadline
        if owed_until < timezone.localdate() or (latest is not None and owed_until > latest):
            raise ValidationError.for_field(
                "owed_until",
                _("the date must be between today and the promised deadline %s") % (latest or "—"),
            )
        changes = {"owed_materials": owed, "owed_until": owed_until}
    elif owed_until is not None:
        raise ValidationError.for_field("owed_until", _("no material is owed on this case"))
    Case.workflow.apply(
        case,
        "accept",
        actor=actor,
        note=note,
        data={"owed": [m["name"] for m in owed], "owed_until": owed_until.isoformat()} if owed else {},
        changes=changes,
        expected_version=expected_version,
    )
    if owed:
        notices.notice_enqueue(case, "accept")
        lines = [
            f"{n}. {m['name']}（{m['form']}）" if m["form"] else f"{n}. {m['name']}"
            for n, m in enumerate(owed, 1)
        ]
        tell(
            case.applicant,
            "services.case.accept",
            _("Your application %(number)s was accepted with materials owed (容缺受理)")
            % {"number": case.number},
            _("Supply these by %(date)s, or the case ends:") % {"date": owed_until.isoformat()}
            + "\n"
            + "\n".join(lines),
            case_link(case),
            applicant=True,
        )
    else:
        after_transition(case, "accept", note)
    return case


@transaction.atomic
def case_supply(
    *, actor: Any, case: Case, files: dict[str, Any], expected_version: int | None = None
) -> Case:
    """The applicant supplies owed materials (容缺补齐): each as ``material_<code>``. When the last
    arrives nothing is owed any more and the case may be decided."""
    if case.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("only the applicant supplies owed materials"))
    owed = {m["code"]: m for m in case.owed_materials}
    if not owed or case.owed_until is None:
        raise ValidationError.for_field("materials", _("no material is owed on this case"))
    given = {code: files[f"material_{code}"] for code in owed if files.get(f"material_{code}") is not None}
    if not given:
        raise ValidationError(fields={f"material_{code}": [_("upload this material")] for code in owed})
    status = dict(case.materials)
    for code, upload in given.items():
        status[code] = _store_upload(case.number, code, upload)
    remaining = [m for code, m in owed.items() if code not in given]
    Case.workflow.apply(
        case,
        "supply",
        actor=actor,
        data={"supplied": [owed[c]["name"] for c in given]},
        changes={
            "materials": status,
            "owed_materials": remaining,
            "owed_until": case.owed_until if remaining else None,
        },
        expected_version=expected_version,
    )
    return case


def owed_scan() -> int:
    """Terminate accepted cases whose owed materials did not arrive by their date (a periodic
    task; scheduled work: no actor, via this module). Returns how many ended."""
    today = timezone.localdate()
    ended = 0
    for case in Case.objects.filter(state="accepted", owed_until__lt=today).select_related("applicant")[:500]:
        with transaction.atomic():
            try:
                Case.workflow.apply(
                    case,
                    "terminate",
                    actor=None,
                    via="services",
                    note=_("owed materials not supplied by %s") % case.owed_until.isoformat(),
                )
            except Conflict:  # changed meanwhile (supplied, decided): the next run looks again
                continue
            tell(
                case.applicant,
                "services.case.terminate",
                _("Your application %(number)s ended: the owed materials did not arrive in time")
                % {"number": case.number},
                link=case_link(case),
                applicant=True,
            )
        ended += 1
    return ended


@transaction.atomic
def case_refuse(*, actor: Any, case: Case, note: str, expected_version: int | None = None) -> Case:
    """Do not accept (不予受理) a submitted case, with the reason (kept as the decision note);
    the clock stops."""
    Case.workflow.apply(
        case,
        "refuse",
        actor=actor,
        note=note,
        changes={"decision_note": note},
        expected_version=expected_version,
    )
    after_transition(case, "refuse", note)
    return case


@transaction.atomic
def case_request_correction(
    *, actor: Any, case: Case, note: str, items: list[str], expected_version: int | None = None
) -> Case:
    """Ask the applicant to correct a submitted case (补正): the reason and every missing item at
    once (行政许可法 §32: one notice); the clock pauses."""
    items = _correction_items(items)
    Case.workflow.apply(
        case,
        "request_correction",
        actor=actor,
        note=note,
        data={"items": items},
        changes={"correction_items": items},
        expected_version=expected_version,
    )
    after_transition(case, "request_correction", note)
    return case


@transaction.atomic
def case_send_back(
    *, actor: Any, case: Case, note: str, items: list[str], expected_version: int | None = None
) -> Case:
    """A reviewer sends an accepted case back for correction: the reason and every item; the
    clock pauses."""
    items = _correction_items(items)
    Case.workflow.apply(
        case,
        "send_back",
        actor=actor,
        note=note,
        data={"items": items},
        changes={"correction_items": items},
        expected_version=expected_version,
    )
    after_transition(case, "send_back", note)
    return case


@transaction.atomic
def case_withdraw(*, actor: Any, case: Case, note: str = "", expected_version: int | None = None) -> Case:
    """The applicant withdraws their case before acceptance; the clock stops."""
    Case.workflow.apply(case, "withdraw", actor=actor, note=note, expected_version=expected_version)
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


# --- payment (the payments module's on_paid hook) --------------------------------------------


def case_mark_paid(*, case: Case, bill: Bill) -> None:
    """The case's bill was paid: record it on the case's timeline (once) so it may be accepted.
    A trusted internal call from payments (its on_paid hook, in the confirming transaction): the
    ``pay`` transition is taken by the payer, via payments, without a role. Checks that ``bill``
    is paid, is this case's (or its bundle's) and was paid by the case's applicant; any other bill
    changes nothing (and does not fail the confirmation: the money is in the ledger)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    reference = f"bundle:{case.bundle_application_id}" if case.bundle_application_id else f"case:{case.pk}"
    if bill.reference != reference or not bill_is_paid(bill) or bill.payer_id != case.applicant_id:
        logger.warning("bill %s does not pay case %s: not marked paid", bill.number, case.number)
        return
    if case.paid_at is not None or case.state != "submitted":
        if case.paid_at is None:
            Case.objects.filter(pk=case.pk).update(paid_at=timezone.now())
        return
    Case.workflow.apply(case, "pay", actor=bill.payer, via="payments", changes={"paid_at": timezone.now()})
    after_transition(case, "pay")


def on_case_paid(bill: Bill) -> None:
    """payments hook ``on_paid("case")``."""
    ref = bill.reference.split(":", 1)[1]
    case = Case.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    if case is not None:
        case_mark_paid(case=case, bill=bill)


def on_bundle_paid(bill: Bill) -> None:
    """payments hook ``on_paid("bundle")``: every case of the bundle application is paid."""
    ref = bill.reference.split(":", 1)[1]
    if not ref.isdigit():
        return
    BundleApplication.objects.filter(pk=int(ref)).update(paid=True)
    for case in Case.objects.filter(bundle_application_id=int(ref)).order_by("id"):
        case_mark_paid(case=case, bill=bill)


# --- escalation (the SLA scan) ---------------------------------------------------------------


def on_overdue(ids: list[int]) -> None:
    """Newly overdue cases (a chunk of the SLA scan, which stamped their ``escalated_at``):
    escalate to the supervising role of their county (督办). Set-based, so a scan over millions of
    open cases stays cheap: one audit event and one notification per supervisor and org unit,
    naming how many cases and which."""
    rows = list(Case.objects.filter(pk__in=ids).values_list("pk", "org_path", "number"))
    by_path: dict[str, list[tuple[int, str]]] = {}
    for pk, path, number in rows:
        by_path.setdefault(path, []).append((pk, number))
    # escalated_at was stamped by the scan's own UPDATE.
    escalate_to_supervisors(
        by_path,
        event="services.case.overdue",
        message=_("%(count)d case(s) overdue: %(first)s"),
        link=reverse("services:worklist") + "?view=overdue",
        action="services.case.escalate",
        target_type="services.case",
    )
