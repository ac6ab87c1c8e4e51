"""Official documents (公文): outgoing ones drafted from GB/T 9704 templates, routed for joint
sign-off (会签) and sign-off (签发, holders of ``workspace.sign_off`` only), numbered without gaps
or duplicates, sealed, distributed and acknowledged (收文登记); incoming ones registered,
proposed (拟办), instructed (批办), handled (承办) to completion. Nothing is edited after 签发."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import can, ensure_authenticated, ensure_can, ensure_can_on
from zhengtong.accounts.selectors import holders_of
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.notify.services import notify
from zhengtong.seals import services as seals
from zhengtong.seals.pdf import DocumentSpec, render_pdf
from zhengtong.workspace.errors import WorkspaceError
from zhengtong.workspace.models import (
    Countersign,
    Distribution,
    DocumentCounter,
    IncomingDocument,
    OutgoingDocument,
)
from zhengtong.workspace.services.common import VIA, records_refusals, text
from zhengtong.workspace.workflows import EDITABLE_STATES, INCOMING_FLOW, OUTGOING_FLOW

# GB/T 9704 document kinds (文种) the drafting form starts from: the title's ending and whether
# the first page carries the red 发文机关标志 (letters, 函, use the letter format's own header).
TEMPLATES: dict[str, dict[str, Any]] = {
    "notice": {"label": gettext_lazy("Notice (通知)"), "suffix": "的通知", "red_header": True},
    "request": {
        "label": gettext_lazy("Request for instructions (请示)"),
        "suffix": "的请示",
        "red_header": True,
    },
    "report": {"label": gettext_lazy("Report (报告)"), "suffix": "的报告", "red_header": True},
    "letter": {"label": gettext_lazy("Letter (函)"), "suffix": "的函", "red_header": False},
}
SECRECY = ("", "秘密", "机密", "绝密")
FIELDS = ("title", "recipients", "body", "attachments", "copy_to", "secrecy", "copy_number")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    limits = {
        "title": 200,
        "recipients": 300,
        "body": 20000,
        "attachments": 2000,
        "copy_to": 300,
        "copy_number": 10,
    }
    for key, value in values.items():
        if key == "secrecy":
            if value not in SECRECY:
                raise ValidationError.for_field("secrecy", _("must be one of: none, 秘密, 机密, 绝密"))
            out[key] = value
        elif key in limits:
            out[key] = text(key, value, limits[key], required=key in ("title", "body"))
    if out.get("copy_number") and not out["copy_number"].isdigit():
        raise ValidationError.for_field("copy_number", _("digits only (GB/T 9704: six digits)"))
    return out


@transaction.atomic
def document_draft(
    *,
    actor: Any,
    template: str,
    title: str,
    body: str,
    number_prefix: str,
    recipients: str = "",
    attachments: str = "",
    copy_to: str = "",
    secrecy: str = "",
    copy_number: str = "",
    issuer: str = "",
) -> OutgoingDocument:
    """Draft an outgoing document for the actor's department (``workspace.draft``)."""
    ensure_authenticated(actor)
    if getattr(actor, "department_id", None) is None:
        raise PermissionDenied(_("documents are drafted by a department"))
    ensure_can(actor, "workspace.draft", actor.org_unit, actor.department)
    if template not in TEMPLATES:
        raise ValidationError.for_field("template", _("must be one of %s") % ", ".join(TEMPLATES))
    prefix = text("number_prefix", number_prefix, 40)
    values = _clean(
        {
            "title": title,
            "recipients": recipients,
            "body": body,
            "attachments": attachments,
            "copy_to": copy_to,
            "secrecy": secrecy,
            "copy_number": copy_number,
        }
    )
    doc = OutgoingDocument(
        org_unit_id=actor.org_unit_id,
        department_id=actor.department_id,
        template=template,
        issuer=text("issuer", issuer, 100, required=False) or actor.department.name,
        number_prefix=prefix,
        drafted_by=actor,
        state=OUTGOING_FLOW.initial,
        **values,
    )
    doc.save()
    OUTGOING_FLOW.start(doc, actor=actor, after={"state": doc.state, "title": doc.title})
    return doc


@records_refusals("document_update")
@transaction.atomic
def document_update(*, actor: Any, document: OutgoingDocument, **changes: Any) -> OutgoingDocument:
    """Edit a draft (``workspace.draft``). Refused once it is signed off (签发), and while it is
    out for sign-off (return it to draft first)."""
    ensure_can_on(actor, "workspace.draft", document)
    current = OutgoingDocument.objects.select_for_update().get(pk=document.pk)
    if current.state not in EDITABLE_STATES:
        signed = current.state in ("signed", "numbered", "issued", "filed")
        raise Conflict(
            _("the document is signed off and can no longer be edited")
            if signed
            else _("the document is out for sign-off; return it to draft to edit it"),
            code=WorkspaceError.SIGNED_OFF if signed else None,
            details={"state": current.state},
        )
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise ValidationError.for_field(unknown[0], _("cannot be changed"))
    values = _clean(changes)
    before = {k: getattr(current, k) for k in values}
    for key, value in values.items():
        setattr(current, key, value)
    current.save(update_fields=list(values))
    audit.record(actor=actor, action="workspace.outgoing.update", target=current, before=before, after=values)
    return current


@transaction.atomic
def document_route(*, actor: Any, document: OutgoingDocument, departments: list[Any]) -> OutgoingDocument:
    """Send a draft for joint sign-off (会签) by other departments, or straight to sign-off when
    none is named."""
    depts = [d for d in dict.fromkeys(departments or []) if d.pk != document.department_id]
    if not depts:
        OUTGOING_FLOW.apply(document, "submit", actor=actor)
        _tell_signatories(document)
        return document
    OUTGOING_FLOW.apply(document, "route", actor=actor, data={"departments": [d.pk for d in depts]})
    Countersign.objects.filter(document=document).delete()
    Countersign.objects.bulk_create([Countersign(document=document, department=d) for d in depts])
    for dept in depts:
        for person in holders_of("workspace.countersign", dept.org_unit.path, department=dept, nearest=True):
            notify(
                recipient=person,
                event="workspace.countersign",
                title=_("To countersign (会签): %s") % document.title,
                link=reverse("workspace:outgoing", args=[document.pk]),
            )
    return document


def _tell_signatories(document: OutgoingDocument) -> None:
    for person in holders_of("workspace.sign_off", document.org_unit.path, nearest=True):
        notify(
            recipient=person,
            event="workspace.sign_off",
            title=_("To sign off (签发): %s") % document.title,
            link=reverse("workspace:outgoing", args=[document.pk]),
        )


@transaction.atomic
def document_countersign(*, actor: Any, document: OutgoingDocument, opinion: str = "") -> Countersign:
    """The actor's department countersigns; the last one moves the document to sign-off."""
    ensure_authenticated(actor)
    if document.state != "countersigning":
        raise Conflict(_("the document is not out for joint sign-off"), details={"state": document.state})
    row = (
        Countersign.objects.select_for_update()
        .filter(
            document=document, department_id=getattr(actor, "department_id", None), signed_at__isnull=True
        )
        .select_related("department__org_unit")
        .first()
    )
    if row is None or not can(actor, "workspace.countersign", row.department.org_unit, row.department):
        raise PermissionDenied(_("your department has nothing to countersign on this document"))
    row.signed_by, row.signed_at = actor, timezone.now()
    row.opinion = text("opinion", opinion, 500, required=False)
    row.save(update_fields=["signed_by", "signed_at", "opinion"])
    audit.record(
        actor=actor,
        action="workspace.outgoing.countersign",
        target=document,
        after={"department": row.department.name, "opinion": row.opinion},
    )
    if not Countersign.objects.filter(document=document, signed_at__isnull=True).exists():
        OUTGOING_FLOW.apply(document, "countersigned", actor=actor, via=VIA)
        _tell_signatories(document)
    return row


@transaction.atomic
def document_return(*, actor: Any, document: OutgoingDocument, note: str) -> OutgoingDocument:
    """A countersigning department or a signatory returns the document to its drafter."""
    ensure_authenticated(actor)
    allowed = (
        can(actor, "workspace.sign_off", document.org_unit)
        or Countersign.objects.filter(
            document=document, department_id=getattr(actor, "department_id", None)
        ).exists()
    )
    if not allowed:
        raise PermissionDenied(_("you may not return this document"))
    OUTGOING_FLOW.apply(document, "return", actor=actor, note=note, via=VIA)
    return document


@records_refusals("document_sign")
@transaction.atomic
def document_sign(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """签发: only a holder of ``workspace.sign_off`` at the document's unit signs it off."""
    ensure_authenticated(actor)
    if not can(actor, "workspace.sign_off", document.org_unit):
        raise PermissionDenied(
            _("only holders of the sign-off (签发) permission sign off documents"),
            code=WorkspaceError.NOT_SIGNATORY,
        )
    OUTGOING_FLOW.apply(
        document,
        "sign",
        actor=actor,
        changes={"signed_by_id": actor.pk, "signed_at": timezone.now()},
    )
    return document


def _next_serial(prefix: str, year: int) -> int:
    """The next serial of ``prefix`` in ``year``: the counter row is locked until the caller's
    transaction ends, so concurrent numberings queue on it and no number is given twice or
    skipped (a rolled-back numbering rolls its increment back too)."""
    counter = DocumentCounter.objects.select_for_update().filter(prefix=prefix, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                DocumentCounter.objects.create(prefix=prefix, year=year, last=0)
        except IntegrityError:  # created by a concurrent first numbering
            pass
        counter = DocumentCounter.objects.select_for_update().get(prefix=prefix, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


@records_refusals("document_number")
@transaction.atomic
def document_number(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """Give a signed-off document its 发文字号 (机关代字〔年份〕序号号). A document has one number:
    asking again is refused."""
    ensure_can_on(actor, "workspace.draft", document)
    current = OutgoingDocument.objects.select_for_update().get(pk=document.pk)
    if current.serial is not None:
        raise Conflict(
            _("the document has its number already: %s") % current.doc_number,
            code=WorkspaceError.ALREADY_NUMBERED,
            details={"doc_number": current.doc_number},
        )
    if current.state != "signed":
        raise Conflict(_("only a signed-off document is numbered"), details={"state": current.state})
    year = timezone.localdate().year
    serial = _next_serial(current.number_prefix, year)
    OUTGOING_FLOW.apply(
        current,
        "number",
        actor=actor,
        changes={
            "year": year,
            "serial": serial,
            "doc_number": f"{current.number_prefix}〔{year}〕{serial}号",
            "issue_date": timezone.localdate(),
        },
    )
    document.__dict__.update(
        {k: getattr(current, k) for k in ("state", "version", "year", "serial", "doc_number", "issue_date")}
    )
    return document


@transaction.atomic
def document_issue(
    *, actor: Any, document: OutgoingDocument, recipients: list[tuple[Any, Any]]
) -> OutgoingDocument:
    """Seal the numbered document and distribute it to recipient units (each an org unit and
    optionally a department); their registry clerks are told to acknowledge it."""
    ensure_can_on(actor, "workspace.draft", document)
    if not recipients:
        raise ValidationError.for_field("recipients", _("choose at least one recipient unit"))
    OUTGOING_FLOW.apply(document, "issue", actor=actor)
    seal_document(actor=actor, document=document)
    rows = []
    for unit, dept in dict.fromkeys(recipients):
        rows.append(Distribution(document=document, org_unit=unit, department=dept))
    Distribution.objects.bulk_create(rows)
    for unit, dept in dict.fromkeys(recipients):
        for person in holders_of("workspace.register_incoming", unit.path, department=dept, nearest=True):
            notify(
                recipient=person,
                event="workspace.incoming",
                title=_("Document received: %s") % document.doc_number,
                body=document.title,
                link=reverse("workspace:documents"),
            )
    audit.record(
        actor=actor,
        action="workspace.outgoing.distribute",
        target=document,
        after={"recipients": [f"{u.code}:{getattr(d, 'code', '')}" for u, d in recipients]},
    )
    return document


def document_spec(document: OutgoingDocument) -> DocumentSpec:
    """The GB/T 9704 elements of a document as the seals module lays them out."""
    template = TEMPLATES.get(document.template, TEMPLATES["notice"])
    return DocumentSpec(
        issuer=document.issuer,
        title=document.title,
        doc_number=document.doc_number,
        recipients=document.recipients,
        paragraphs=document.paragraphs,
        attachments=document.attachment_list,
        signer=document.issuer,
        date=document.issue_date,
        copy_to=f"抄送：{document.copy_to}。" if document.copy_to else "",
        copy_number=document.copy_number,
        secrecy=document.secrecy,
        red_header=bool(template["red_header"]),
        seal_name=document.issuer,
    )


def seal_document(*, actor: Any, document: OutgoingDocument) -> None:
    """Render the document's PDF and seal it with the drafting department's key (the seals
    module signs the exact bytes); the verification code and hash are kept on the document."""
    pdf = render_pdf(document_spec(document))
    sealed = seals.seal_document(
        department=document.department,
        kind="workspace.outgoing",
        reference=str(document.pk),
        title=document.title,
        pdf=pdf,
        actor=actor,
        via=VIA,
    )
    OutgoingDocument.objects.filter(pk=document.pk).update(seal_code=sealed.code, pdf_sha256=sealed.sha256)
    document.seal_code, document.pdf_sha256 = sealed.code, sealed.sha256


@transaction.atomic
def document_file(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """File (归档) an issued document."""
    OUTGOING_FLOW.apply(document, "file", actor=actor)
    return document


@transaction.atomic
def distribution_acknowledge(*, actor: Any, distribution: Distribution) -> IncomingDocument:
    """收文登记: a registry clerk of the recipient unit acknowledges receipt; the document is
    registered there as incoming."""
    ensure_can(actor, "workspace.register_incoming", distribution.org_unit, distribution.department)
    claimed = Distribution.objects.filter(pk=distribution.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=actor, acknowledged_at=timezone.now()
    )
    if not claimed:
        raise Conflict(_("this document was acknowledged already"))
    doc = distribution.document
    incoming = IncomingDocument(
        org_unit=distribution.org_unit,
        department=distribution.department,
        distribution=distribution,
        sender=doc.issuer,
        doc_number=doc.doc_number,
        title=doc.title,
        registered_by=actor,
        state=INCOMING_FLOW.initial,
    )
    incoming.save()
    INCOMING_FLOW.start(incoming, actor=actor, after={"state": incoming.state, "doc_number": doc.doc_number})
    return incoming


@transaction.atomic
def incoming_register(
    *, actor: Any, sender: str, title: str, doc_number: str = "", department: Any = None
) -> IncomingDocument:
    """Register a document received on paper or from outside the platform."""
    ensure_authenticated(actor)
    unit = getattr(actor, "org_unit", None)
    if unit is None:
        raise PermissionDenied(_("the workspace is for staff"))
    ensure_can(actor, "workspace.register_incoming", unit, department)
    incoming = IncomingDocument(
        org_unit=unit,
        department=department,
        sender=text("sender", sender, 200),
        doc_number=text("doc_number", doc_number, 60, required=False),
        title=text("title", title, 200),
        registered_by=actor,
        state=INCOMING_FLOW.initial,
    )
    incoming.save()
    INCOMING_FLOW.start(incoming, actor=actor)
    return incoming


@transaction.atomic
def incoming_propose(*, actor: Any, document: IncomingDocument, proposal: str) -> IncomingDocument:
    """拟办: the office proposes how to handle it; the unit's instructing leaders are told."""
    value = text("proposal", proposal, 2000)
    INCOMING_FLOW.apply(document, "propose", actor=actor, changes={"proposal": value})
    for person in holders_of("workspace.instruct", document.org_unit.path, nearest=True):
        notify(
            recipient=person,
            event="workspace.instruct",
            title=_("To instruct (批办): %s") % document.title,
            link=reverse("workspace:incoming", args=[document.pk]),
        )
    return document


@transaction.atomic
def incoming_instruct(*, actor: Any, document: IncomingDocument, instruction: str) -> IncomingDocument:
    """批办: a leader's instruction."""
    value = text("instruction", instruction, 2000)
    INCOMING_FLOW.apply(document, "instruct", actor=actor, changes={"instruction": value})
    return document


@transaction.atomic
def incoming_assign(*, actor: Any, document: IncomingDocument, department: Any) -> IncomingDocument:
    """承办: the office assigns the handling department (in the document's unit's subtree)."""
    if department is None or not department.org_unit.path.startswith(document.org_unit.path):
        raise ValidationError.for_field("department", _("choose a department of this unit"))
    INCOMING_FLOW.apply(document, "assign", actor=actor, changes={"handler_department_id": department.pk})
    for person in holders_of(
        "workspace.assign", department.org_unit.path, department=department, nearest=True
    ):
        notify(
            recipient=person,
            event="workspace.incoming_assigned",
            title=_("To handle (承办): %s") % document.title,
            link=reverse("workspace:incoming", args=[document.pk]),
        )
    return document


@transaction.atomic
def incoming_complete(*, actor: Any, document: IncomingDocument, result: str) -> IncomingDocument:
    """办结: the handling department records the result."""
    value = text("result", result, 4000)
    INCOMING_FLOW.apply(document, "complete", actor=actor, changes={"result": value})
    return document
