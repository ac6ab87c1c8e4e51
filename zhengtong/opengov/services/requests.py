"""Requests for disclosure (依申请公开): filing, the clock's stops and the one extension, the reply
of §36 with its required fields, publication, administrative review."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can_on
from zhengtong.audit import services as audit
from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import Conflict, PermissionDenied, RateLimited, ValidationError
from zhengtong.core.sla import sla_extend
from zhengtong.notify.services import notify
from zhengtong.opengov import letters, redaction
from zhengtong.opengov.errors import OpengovError
from zhengtong.opengov.models import InfoRequest, ReplyType, RequestDocument
from zhengtong.opengov.workflows import REQUEST_FLOW
from zhengtong.privacy.detectors import detect

DELIVERY = ("online", "post", "pickup")


def _text(field: str, value: Any, max_length: int, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError.for_field(field, _("is required"))
    if len(text) > max_length:
        raise ValidationError.for_field(field, _("at most %d characters") % max_length)
    return text


def _number() -> str:
    return "GK" + timezone.localdate().strftime("%Y%m%d") + f"{secrets.randbelow(10**8):08d}"


def _tell(req: InfoRequest, event: str, title: str, body: str = "") -> None:
    notify(
        recipient=req.requester,
        event=f"opengov.{event}",
        title=title,
        body=body,
        link=f"/opengov/requests/mine/{req.number}/",
    )


@transaction.atomic
def request_file(
    *, actor: Any, department: Any, description: str, purpose: str = "", delivery: str = "online"
) -> InfoRequest:
    """File a request for disclosure with ``department``. Only a real-name verified citizen or
    enterprise agent may (条例 §29: the applicant's identity); the clock of 20 working days
    starts on receipt."""
    ensure_authenticated(actor)
    if not getattr(actor, "is_real_name", False):
        raise PermissionDenied(
            _("a request for disclosure needs a real-name verified account: verify your identity first"),
            code=OpengovError.REAL_NAME_REQUIRED,
        )
    if department is None or not getattr(department, "is_active", True):
        raise ValidationError.for_field("department", _("is required"))
    cleaned = _text("description", description, 4000)
    cleaned_purpose = _text("purpose", purpose, 500, required=False)
    if delivery not in DELIVERY:
        raise ValidationError.for_field("delivery", _("must be one of %s") % ", ".join(DELIVERY))
    since = timezone.now() - timezone.timedelta(days=1)
    if InfoRequest.objects.filter(requester=actor, created_at__gte=since).count() >= (
        settings.OPENGOV_REQUESTS_PER_DAY
    ):
        raise RateLimited(
            _("you have filed too many requests today; please try again tomorrow"),
            details={"retry_after": 86400, "limit": settings.OPENGOV_REQUESTS_PER_DAY},
        )
    req = InfoRequest(
        number=_number(),
        requester=actor,
        org_unit=department.org_unit,
        department=department,
        description=cleaned,
        purpose=cleaned_purpose,
        delivery=delivery,
        state=REQUEST_FLOW.initial,
    )
    REQUEST_FLOW.start_clock(req)
    req.save()
    REQUEST_FLOW.start(req, actor=actor, after={"department": department.name, "delivery": delivery})
    return req


@transaction.atomic
def request_ask_correction(*, actor: Any, request: InfoRequest, note: str) -> InfoRequest:
    """§30: the request is unclear; tell the requester once, within 7 working days of receipt,
    what to correct. The clock pauses; it counts afresh from the corrected request."""
    ensure_can_on(actor, "opengov.handle", request)
    problem = REQUEST_FLOW.transition("request_correction").guard(request, actor, {})
    if problem and request.state == "received":
        raise ValidationError.for_field("note", problem, code=OpengovError.CORRECTION_TOO_LATE)
    REQUEST_FLOW.apply(
        request,
        "request_correction",
        actor=actor,
        note=note,
        changes={"correction_asked_on": timezone.localdate(), "correction_note": note.strip()[:2000]},
    )
    _tell(request, "correction", _("Please correct your request %s") % request.number, note)
    return request


@transaction.atomic
def request_correct(*, actor: Any, request: InfoRequest, description: str) -> InfoRequest:
    """The requester's corrected request: the 20 working days run again from today (§30)."""
    cleaned = _text("description", description, 4000)
    REQUEST_FLOW.apply(
        request,
        "correct",
        actor=actor,
        changes={"description": cleaned, "corrected_on": timezone.localdate()},
    )
    return request


@transaction.atomic
def request_consult(*, actor: Any, request: InfoRequest, third_party: str) -> InfoRequest:
    """§32: ask a third party whose interests the disclosure may harm; it has 15 working days to
    answer, and the time does not count against the reply's period (the clock pauses)."""
    party = _text("third_party", third_party, 200)
    REQUEST_FLOW.apply(
        request,
        "consult",
        actor=actor,
        note=party,
        changes={
            "third_party": party,
            "third_party_due_on": add_working_days(timezone.localdate(), settings.OPENGOV_THIRD_PARTY_DAYS),
        },
    )
    return request


@transaction.atomic
def request_consulted(*, actor: Any, request: InfoRequest, opinion: str) -> InfoRequest:
    """The third party answered (or its 15 working days passed: ``opinion`` says so); the clock
    runs on with the days it had left."""
    text = _text("opinion", opinion, 4000)
    REQUEST_FLOW.apply(
        request, "consulted", actor=actor, note=text[:200], changes={"third_party_opinion": text}
    )
    return request


@transaction.atomic
def request_extend(*, actor: Any, request: InfoRequest, reason: str) -> InfoRequest:
    """§33: extend the period once, by at most 20 working days, approved by the head of the
    disclosure office (``opengov.approve_extension``), and tell the requester. A second extension
    is refused and changes nothing."""
    if request.extended_on is not None:
        raise Conflict(
            _("the time limit of this request was already extended on %s; it can be extended only once")
            % request.extended_on.isoformat(),
            code=OpengovError.ALREADY_EXTENDED,
        )
    reason = _text("note", reason, 2000)
    REQUEST_FLOW.apply(
        request,
        "extend",
        actor=actor,
        note=reason,
        changes={"extended_on": timezone.localdate(), "extension_reason": reason},
    )
    sla_extend(request, working_days=settings.OPENGOV_EXTENSION_DAYS)
    code = letters.issue_extension_notice(request, actor=actor)
    request.extension_code = code
    request.save(update_fields=["extension_code"])
    _tell(
        request,
        "extended",
        _("The reply to your request %(number)s is extended to %(date)s")
        % {"number": request.number, "date": request.sla_deadline.isoformat()},
        _("%(reason)s (notice %(code)s)") % {"reason": reason, "code": code},
    )
    return request


def _url(value: str) -> str:
    link = _text("public_link", value, 500)
    parsed = urlparse(link)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError.for_field("public_link", _("must be an http(s) address"))
    return link


# What each reply type must state (§36): field -> why.
REQUIRED: dict[str, tuple[str, ...]] = {
    ReplyType.DISCLOSED: ("reply_text",),
    ReplyType.ALREADY_PUBLIC: ("public_link",),
    ReplyType.PARTLY: ("reply_text", "legal_ground", "documents"),
    ReplyType.NOT_DISCLOSABLE: ("legal_ground",),
    ReplyType.NOT_HELD: ("reply_text",),
    ReplyType.REFERRED: ("referral_body",),
    ReplyType.REPEAT: ("previous_number",),
    ReplyType.NOT_GOVERNMENT_INFO: ("legal_ground",),
}


@transaction.atomic
def request_reply(
    *,
    actor: Any,
    request: InfoRequest,
    reply_type: str,
    reply_text: str = "",
    legal_ground: str = "",
    public_link: str = "",
    referral_body: str = "",
    referral_contact: str = "",
    previous_number: str = "",
) -> InfoRequest:
    """Answer the request with one of the types of §36, each with what it must state: the legal
    ground for a refusal or a redaction, the address where already public information is, the
    competent body for a referral, the earlier request for a repeat; a partial disclosure needs
    at least one checked redacted document. The dated reply letter is rendered and sealed."""
    ensure_can_on(actor, "opengov.handle", request)
    if reply_type not in ReplyType.values:
        raise ValidationError.for_field("reply_type", _("must be one of %s") % ", ".join(ReplyType.values))
    values = {
        "reply_text": _text("reply_text", reply_text, 8000, required=False),
        "legal_ground": _text("legal_ground", legal_ground, 2000, required=False),
        "public_link": _url(public_link) if (public_link or "").strip() else "",
        "referral_body": _text("referral_body", referral_body, 200, required=False),
        "referral_contact": _text("referral_contact", referral_contact, 200, required=False),
        "previous_number": _text("previous_number", previous_number, 24, required=False),
    }
    for field in REQUIRED[reply_type]:
        if field == "documents":
            if not request.documents.filter(checked_at__isnull=False).exists():
                raise ValidationError.for_field(
                    "documents",
                    _("a partial disclosure needs at least one redacted document checked by a person"),
                    code=OpengovError.NOT_CHECKED,
                )
        elif not values[field]:
            raise ValidationError.for_field(
                field,
                _("is required for the reply type “%s”") % ReplyType(reply_type).label,
                code=OpengovError.REPLY_INCOMPLETE,
            )
    if reply_type == ReplyType.REPEAT:
        earlier = InfoRequest.objects.filter(
            number=values["previous_number"], requester_id=request.requester_id, state="replied"
        ).exclude(pk=request.pk)
        if not earlier.exists():
            raise ValidationError.for_field(
                "previous_number", _("no earlier answered request of this requester has that number")
            )
    now = timezone.now()
    late = request.sla_deadline is not None and timezone.localdate(now) > request.sla_deadline
    REQUEST_FLOW.apply(
        request,
        "reply",
        actor=actor,
        note=str(ReplyType(reply_type).label),
        changes={"reply_type": reply_type, "replied_at": now, "replied_late": late, **values},
    )
    request.letter_code = letters.issue_reply_letter(request, actor=actor)
    request.save(update_fields=["letter_code"])
    _tell(request, "replied", _("Your request %s has been answered") % request.number)
    return request


def _scrub_check(field: str, text: str) -> None:
    found = detect(text)
    if found:
        raise ValidationError.for_field(
            field,
            _("still holds personal identifiers (%s): redact them first") % ", ".join(f.kind for f in found),
            code=OpengovError.PERSONAL_DATA,
        )


@transaction.atomic
def request_publication_set(*, actor: Any, request: InfoRequest, consent: bool) -> InfoRequest:
    """The requester agrees (or no longer agrees) to the publication of their answered request.
    Published: the question, the reply and the checked redacted documents, never the requester.
    Refused while a published text would still hold personal identifiers."""
    ensure_authenticated(actor)
    if request.requester_id != actor.pk:
        raise PermissionDenied(_("only the requester decides on publication"))
    if request.state not in ("replied", "under_review"):
        raise Conflict(_("only an answered request can be published"), code=OpengovError.REPLY_INCOMPLETE)
    if consent:
        _scrub_check("description", request.description)
        _scrub_check("reply_text", request.reply_text)
    before = {"published": request.published_at is not None}
    request.publish_consent = consent
    request.published_at = timezone.now() if consent else None
    request.save(update_fields=["publish_consent", "published_at"])
    audit.record(
        actor=actor,
        action="opengov.request.publication",
        target=request,
        before=before,
        after={"published": consent},
    )
    return request


@transaction.atomic
def request_review_ask(*, actor: Any, request: InfoRequest, reason: str) -> InfoRequest:
    """The requester asks for administrative review (行政复议) of the reply."""
    text = _text("note", reason, 4000)
    REQUEST_FLOW.apply(
        request,
        "request_review",
        actor=actor,
        note=text,
        changes={"review_requested_at": timezone.now(), "review_reason": text},
    )
    return request


REVIEW_OUTCOMES = ("upheld", "corrected", "revoked", "other")


@transaction.atomic
def request_review_record(*, actor: Any, request: InfoRequest, outcome: str, note: str) -> InfoRequest:
    """Record the review body's decision (counted in the annual report)."""
    if outcome not in REVIEW_OUTCOMES:
        raise ValidationError.for_field("outcome", _("must be one of %s") % ", ".join(REVIEW_OUTCOMES))
    REQUEST_FLOW.apply(request, "record_review", actor=actor, note=note, changes={"review_outcome": outcome})
    return request


@transaction.atomic
def request_withdraw(*, actor: Any, request: InfoRequest) -> InfoRequest:
    REQUEST_FLOW.apply(request, "withdraw", actor=actor)
    return request


# --------------------------------------------------------------------------
# Documents given in answer, and their redaction
# --------------------------------------------------------------------------


def _terms(extra_terms: Any) -> list[str]:
    if not isinstance(extra_terms, list) or not all(isinstance(t, str) for t in extra_terms):
        raise ValidationError.for_field("extra_terms", _("must be a list of texts"))
    terms = sorted({t.strip() for t in extra_terms if t.strip()}, key=len, reverse=True)
    if len(terms) > 200 or any(len(t) > 100 for t in terms):
        raise ValidationError.for_field("extra_terms", _("at most 200 terms of at most 100 characters"))
    return terms


def _redact(doc: RequestDocument, terms: list[str]) -> None:
    result = redaction.redact(doc.kind, bytes(doc.content), terms)
    doc.redacted = result.content
    doc.redacted_text = result.text
    doc.findings = result.findings
    doc.extra_terms = terms


@transaction.atomic
def request_document_add(
    *, actor: Any, request: InfoRequest, filename: str, content: bytes, extra_terms: Any = None
) -> RequestDocument:
    """Attach a document to the reply: a text, PDF or DOCX file up to
    ``OPENGOV_ATTACHMENT_MAX_BYTES``; it is redacted at once (identifiers the privacy detectors
    find, and ``extra_terms``) and waits for a person's check before it can be published."""
    ensure_can_on(actor, "opengov.handle", request)
    if request.state not in ("received",):
        raise Conflict(_("documents are attached before the reply"), code=OpengovError.PUBLISHED)
    name = _text("filename", filename, 200)
    if not isinstance(content, bytes | bytearray) or not content:
        raise ValidationError.for_field("file", _("is required"))
    if len(content) > settings.OPENGOV_ATTACHMENT_MAX_BYTES:
        raise ValidationError.for_field(
            "file",
            _("is larger than %d bytes") % settings.OPENGOV_ATTACHMENT_MAX_BYTES,
            code=OpengovError.BAD_DOCUMENT,
        )
    kind = redaction.sniff(name, bytes(content))
    doc = RequestDocument(
        request=request,
        filename=name,
        kind=kind,
        content=bytes(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
    )
    _redact(doc, _terms(extra_terms or []))
    doc.save()
    audit.record(
        actor=actor,
        action="opengov.document.add",
        target=doc,
        after={"filename": name, "kind": kind, "sha256": doc.sha256, "findings": len(doc.findings)},
    )
    return doc


@transaction.atomic
def request_document_redact(*, actor: Any, document: RequestDocument, extra_terms: Any) -> RequestDocument:
    """Redact again with the checker's extra terms; a new redaction must be checked again."""
    ensure_can_on(actor, "opengov.handle", document.request)
    if document.request.state != "received":
        raise Conflict(
            _("the reply was sent: the document can no longer change"), code=OpengovError.PUBLISHED
        )
    _redact(document, _terms(extra_terms))
    document.checked_by = None
    document.checked_at = None
    document.save(
        update_fields=["redacted", "redacted_text", "findings", "extra_terms", "checked_by", "checked_at"]
    )
    audit.record(
        actor=actor,
        action="opengov.document.redact",
        target=document,
        after={"terms": len(document.extra_terms), "findings": len(document.findings)},
    )
    return document


@transaction.atomic
def request_document_check(*, actor: Any, document: RequestDocument) -> RequestDocument:
    """A person confirms the redacted version may go out (the human check). Refused while the
    detectors still find an identifier in it."""
    ensure_can_on(actor, "opengov.handle", document.request)
    _scrub_check("file", document.redacted_text)
    document.checked_by = actor
    document.checked_at = timezone.now()
    document.save(update_fields=["checked_by", "checked_at"])
    audit.record(actor=actor, action="opengov.document.check", target=document, after={"checked": True})
    return document


def requests_overdue(ids: list[int]) -> int:
    """Called by the SLA scan with a chunk of newly overdue requests: each head of a disclosure
    office (``opengov.approve_extension``, nearest level) whose department and unit have some of
    them gets one message (督办), and one audit event records the chunk. The chunk is grouped by
    department and unit in the database (a few rows), not read request by request."""
    if not ids:
        return 0
    chosen = InfoRequest.objects.filter(pk__in=ids)
    if connection.vendor == "postgresql":
        # One array parameter: as an IN list, Django prepares each of tens of thousands of ids
        # one by one (seconds of Python per scan that moves half a million clocks).
        chosen = InfoRequest.objects.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [list(ids)]))
    places = chosen.values("department_id", "org_unit__path").annotate(n=Count("id")).order_by()
    sample = list(InfoRequest.objects.filter(pk__in=ids[:50]).values_list("number", flat=True))
    counts: dict[int, int] = {}
    users: dict[int, Any] = {}
    for place in places:
        for user in account_selectors.holders_of(
            "opengov.approve_extension",
            place["org_unit__path"],
            department=place["department_id"],
            nearest=True,
        ):
            users[user.pk] = user
            counts[user.pk] = counts.get(user.pk, 0) + place["n"]
    with transaction.atomic():
        audit.record(
            actor=None,
            action="opengov.request.overdue",
            target_type="opengov.inforequest",
            target_id=f"{len(ids)} requests",
            target_label=sample[0] if len(ids) == 1 and sample else str(len(ids)),
            after={"count": len(ids), "numbers": sample},
            via="opengov",
        )
        for pk, n in counts.items():
            notify(
                recipient=users[pk],
                event="opengov.overdue",
                title=_("%d requests for disclosure are overdue") % n,
                body=", ".join(sample),
                link="/console/opengov/requests/?sla=overdue",
            )
    return len(ids)
