"""Notices with legal effect (行政许可法 §32, §38): 受理通知书, 补正材料通知书, 不予受理通知书,
准予 / 不予行政许可决定书, each a GB/T 9704 PDF sealed with the department's key (the seals module)
and verifiable by anyone at /seals/verify/.

A transition enqueues its notice in its own transaction (``notice_enqueue``, the outbox); the
notice is rendered and sealed after the commit (``notice_issue``, the outbox handler), so the
counter's click does not wait for the PDF and a rolled-back transition leaves no notice. The
handler is idempotent: one notice per case, action and case version.

Refusals state the rights to administrative review (行政复议, 60 days: 行政复议法 §20) and to
litigation (行政诉讼, 6 months: 行政诉讼法 §46).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.core import outbox
from zhengtong.core.errors import NotFound
from zhengtong.seals import selectors as seal_selectors
from zhengtong.seals import services as seals
from zhengtong.seals.pdf import DocumentSpec, render_pdf
from zhengtong.services.models import Case

TOPIC = "services.notice"
KIND_PREFIX = "services."

# action -> (document title, kind); "send_back" (a reviewer's correction request) is a 补正 notice too.
NOTICES: dict[str, tuple[Any, str]] = {
    "accept": (gettext_lazy("Notice of acceptance (受理通知书)"), "acceptance"),
    "request_correction": (gettext_lazy("Notice to supplement materials (补正材料通知书)"), "correction"),
    "send_back": (gettext_lazy("Notice to supplement materials (补正材料通知书)"), "correction"),
    "refuse": (gettext_lazy("Notice of refusal to accept (不予受理通知书)"), "refusal"),
    "complete": (gettext_lazy("Decision to grant (准予行政许可决定书)"), "grant"),
    "reject": (gettext_lazy("Decision not to grant (不予行政许可决定书)"), "denial"),
    # 告知承诺制: a decision revoked after its commitment was found false.
    "revoke": (gettext_lazy("Decision to revoke the licence (撤销行政许可决定书)"), "revocation"),
}
REFUSALS = ("refuse", "reject", "revoke")

# The law a revocation rests on, whatever the item's own basis (行政许可法 §69 ¶2: a licence
# obtained by deception is revoked; 国办发〔2020〕42号: a false commitment revokes the decision).
REVOCATION_BASIS = gettext_lazy(
    "Article 69(2) of the Administrative Licensing Law of the People's Republic of China; "
    "the General Office of the State Council's plan for the notification and commitment system "
    "for certification matters (国办发〔2020〕42号)"
)


def reference(case: Case, action: str, version: int) -> str:
    return f"case:{case.number}:{action}:{version}"


def notice_enqueue(case: Case, action: str) -> None:
    """In the transition's transaction: have the notice for ``action`` issued after the commit."""
    if action not in NOTICES:
        return
    outbox.enqueue(
        topic=TOPIC,
        key=f"{case.pk}:{action}:{case.version}",
        payload={"case": case.pk, "action": action, "version": case.version},
    )


def _rights() -> str:
    return _(
        "If you disagree with this decision, you may apply for administrative review within 60 days "
        "of receiving it, or bring an administrative lawsuit before the people's court within six months."
    )


def _paragraphs(case: Case, action: str) -> list[str]:
    version = case.item_version
    item = case.item.name
    submitted = timezone.localtime(case.submitted_at).strftime("%Y-%m-%d") if case.submitted_at else "—"
    out = [
        _("Your application for “%(item)s” submitted on %(date)s (case number %(number)s):")
        % {"item": item, "date": submitted, "number": case.number}
    ]
    if action == "accept":
        out.append(
            _(
                "The application materials are complete and in the statutory form; it is accepted. We will decide by %(date)s."
            )
            % {"date": case.sla_deadline.isoformat() if case.sla_deadline else "—"}
        )
        if case.owed_materials:
            owed = "；".join(m["name"] for m in case.owed_materials)
            out.append(
                _("Accepted with materials owed (容缺受理): supply %(items)s by %(date)s, or the case ends.")
                % {"items": owed, "date": case.owed_until.isoformat() if case.owed_until else "—"}
            )
    elif action in ("request_correction", "send_back"):
        out.append(_("The application materials are incomplete. Supplement all of the following at once:"))
        out += [f"{n}. {i}" for n, i in enumerate(case.correction_items, 1)]
        out.append(_("The time limit is suspended until the corrected application arrives."))
    elif action == "refuse":
        out.append(_("The application is not accepted, for this reason: %s") % (case.decision_note or "—"))
    elif action == "complete":
        out.append(_("The application meets the statutory conditions and standards; it is granted."))
        if case.licence_id:
            out.append(
                _("The electronic licence %s has been issued to your licence wallet.") % case.licence.number
            )
    elif action == "reject":
        out.append(
            _("The application does not meet the statutory conditions, for this reason: %s")
            % (case.decision_note or "—")
        )
    elif action == "revoke":
        out.append(
            _(
                "The commitment you signed in place of a material was found false on verification, "
                "for this reason: %s"
            )
            % (case.decision_note or "—")
        )
        out.append(_("The decision to grant this application is revoked."))
        if case.licence_id:
            out.append(_("The electronic licence %s is revoked and no longer valid.") % case.licence.number)
        out.append(_("Legal basis: %s") % REVOCATION_BASIS)
    if version.legal_basis:
        out.append(_("Legal basis: %s") % version.legal_basis)
    if action in REFUSALS:
        out.append(_rights())
    return out


def render(case: Case, action: str) -> tuple[str, bytes]:
    """The notice's title and PDF bytes (not sealed)."""
    title, _kind = NOTICES[action]
    department = case.department
    spec = DocumentSpec(
        title=str(title),
        issuer=department.name,
        doc_number=case.number,
        recipients=case.applicant_entity.name
        if case.applicant_entity_id
        else (case.applicant.display_name or ""),
        paragraphs=_paragraphs(case, action),
        signer=department.name,
        date=timezone.localdate(),
        extra_rows=[
            (_("Service item"), f"{case.item.name}（{case.item.code}）"),
            (_("Case number"), case.number),
        ],
        seal_name=department.name,
    )
    return str(title), render_pdf(spec)


@outbox.handler(TOPIC)
def notice_issue(payload: dict) -> None:
    """Outbox handler: render and seal the notice (once per case, action and version)."""
    case = (
        Case.objects.select_related(
            "item", "item_version", "department", "applicant", "applicant_entity", "licence"
        )
        .filter(pk=payload.get("case"))
        .first()
    )
    action, version = payload.get("action"), payload.get("version")
    if case is None or action not in NOTICES:
        raise outbox.PermanentFailure(f"no case {payload.get('case')} or no notice for {action!r}")
    ref = reference(case, action, version)
    kind = KIND_PREFIX + NOTICES[action][1]
    if seal_selectors.documents_for(kind, ref).exists():
        return  # delivered before (at-least-once)
    title, pdf = render(case, action)
    seals.seal_document(
        department=case.department, kind=kind, reference=ref, title=title, pdf=pdf, via="services"
    )


def case_notices(case: Case) -> list:
    """The sealed notices of a case, oldest first (for the applicant's and the staff's pages:
    callers have checked that the reader may see the case)."""
    kinds = {KIND_PREFIX + k for _t, k in NOTICES.values()}
    return list(seal_selectors.documents_by_reference_prefix(f"case:{case.number}:").filter(kind__in=kinds))


def case_notice_pdf(case: Case, code: str) -> tuple[Any, bytes]:
    """One notice of ``case`` and its exact sealed bytes; NotFound for any other code."""
    for document in case_notices(case):
        if document.code == str(code).upper():
            return document, seal_selectors.document_pdf(document)
    raise NotFound(_("no notice %s on this case") % str(code)[:16])
