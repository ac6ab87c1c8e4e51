"""Credit reports (信用报告): a PDF laid out and sealed by the seals mechanism, verifiable by its
code at /seals/verify/<code>/ and offline against /seals/keys.json."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_authenticated
from zhengtong.audit import services as audit
from zhengtong.core.errors import NotFound, PermissionDenied, RateLimited
from zhengtong.credit import scoring, selectors
from zhengtong.credit.models import CreditReport
from zhengtong.registry import selectors as registry_selectors
from zhengtong.seals import selectors as seal_selectors
from zhengtong.seals import services as seals
from zhengtong.seals.pdf import DocumentSpec, render_pdf

KIND = "credit.report"


def issuer() -> Any:
    unit, _sep, code = settings.CREDIT_REPORT_DEPARTMENT.partition("/")
    department = account_selectors.department_by_code(unit, code)
    if department is None:
        raise NotFound(_("the credit report issuer %s does not exist") % settings.CREDIT_REPORT_DEPARTMENT)
    return department


def may_see_reports(actor: Any, entity: Any) -> bool:
    return registry_selectors.may_act_for(actor, entity) or can(actor, "credit.view", entity.org_unit)


@transaction.atomic
def credit_report_issue(*, actor: Any, entity: Any) -> CreditReport:
    """Issue a sealed credit report of ``entity`` for its representative or agent, or for credit
    staff in scope: grade, score, each factor's points, current list entries."""
    ensure_authenticated(actor)
    if not may_see_reports(actor, entity):
        raise PermissionDenied(_("you may not request this entity's credit report"))
    since = timezone.now() - timezone.timedelta(days=1)
    if (
        CreditReport.objects.filter(entity=entity, created_at__gte=since).count()
        >= settings.CREDIT_REPORTS_PER_DAY
    ):
        raise RateLimited(
            _("at most %d credit reports per entity per day") % settings.CREDIT_REPORTS_PER_DAY,
            details={"retry_after": 3600, "limit": settings.CREDIT_REPORTS_PER_DAY},
        )
    department = issuer()
    score = selectors.score_of(entity)
    measures = selectors.measures_for(entity.uscc)
    today = timezone.localdate()
    paragraphs = [
        _("This report gives the public credit evaluation of the entity below by the published model %(v)s.")
        % {"v": scoring.MODEL_VERSION},
        _("Base: %d points.") % scoring.BASE,
        *[f"{f['label']}：{f['count']} → {f['points']:+d}" for f in selectors.explained_factors(score)],
        *[
            f"{e.get_kind_display()}：{e.legal_basis}（{e.listed_on:%Y-%m-%d} – {e.until:%Y-%m-%d}）"
            for e in measures.entries
        ],
    ]
    spec = DocumentSpec(
        issuer=department.name,
        title=_("Public credit report of %s") % entity.name,
        paragraphs=paragraphs,
        signer=department.name,
        date=today,
        extra_rows=[
            (_("Unified social credit code"), entity.uscc),
            (_("Grade"), measures.grade or "—"),
            (_("Score"), str(measures.score) if measures.score is not None else "—"),
            (_("Evaluated at"), score.computed_at.astimezone().strftime("%Y-%m-%d %H:%M") if score else "—"),
        ],
        seal_name=department.name,
    )
    document = seals.seal_document(
        department=department,
        kind=KIND,
        reference=f"credit:{entity.uscc}",
        title=spec.title,
        pdf=render_pdf(spec),
        actor=actor,
        via="credit",
    )
    report = CreditReport.objects.create(
        entity=entity,
        seal_code=document.code,
        grade=measures.grade,
        score=measures.score or 0,
        requested_by=actor,
    )
    audit.record(
        actor=actor,
        action="credit.report.issue",
        target=report,
        org_unit=entity.org_unit,
        after={"entity": entity.uscc, "code": document.code, "grade": measures.grade},
    )
    return report


def report_pdf(*, actor: Any, report: CreditReport) -> bytes:
    """The sealed PDF, to those who may see the entity's reports."""
    ensure_authenticated(actor)
    if not may_see_reports(actor, report.entity):
        raise NotFound(_("no such report"))
    document = seal_selectors.document_by_code(report.seal_code)
    if document is None:
        raise NotFound(_("no such report"))
    return seal_selectors.document_pdf(document)
