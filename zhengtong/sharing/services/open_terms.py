"""Conditional open, completed: the versioned data-use agreement applicants accept, usage
reports on approved applications, and revocation (the catalogue's own transition). The
applications themselves are the catalogue's ``DataApplication``, read and moved only through
``catalog.selectors`` and ``catalog.services``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.audit import services as audit
from zhengtong.catalog import services as catalog_services
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.notify.services import notify
from zhengtong.sharing.errors import SharingError
from zhengtong.sharing.models import OpenAgreement, OpenTerms, UsageReport


def agreement_current() -> OpenAgreement | None:
    return OpenAgreement.objects.order_by("-version").first()


@transaction.atomic
def agreement_publish(*, actor: Any, text: str) -> OpenAgreement:
    """A new version of the data-use agreement (the data security officer); earlier
    acceptances keep naming the version they accepted."""
    ensure_can(actor, "sharing.approve_sensitive")
    text = (text or "").strip()
    if not 20 <= len(text) <= 20000:
        raise ValidationError.for_field("text", _("the agreement is 20 to 20000 characters"))
    version = (OpenAgreement.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    agreement = OpenAgreement.objects.create(version=version, text=text, created_by=actor)
    audit.record(
        actor=actor, action="sharing.agreement.publish", target=agreement, after={"version": version}
    )
    return agreement


def _ensure_applicant(actor: Any, application: Any) -> None:
    ensure_authenticated(actor)
    if application.applicant_id != actor.pk:
        raise PermissionDenied(_("only the applicant may do this"))


@transaction.atomic
def terms_accept(*, actor: Any, application: Any, version: int) -> OpenTerms:
    """The applicant accepts the current agreement version for ``application``."""
    _ensure_applicant(actor, application)
    current = agreement_current()
    if current is None or version != current.version:
        raise ValidationError.for_field("version", _("accept the current version of the agreement"))
    if application.state not in ("submitted", "approved"):
        raise Conflict(_("the application is closed"))
    terms, _created = OpenTerms.objects.update_or_create(
        application=application,
        defaults={"agreement": current, "accepted_by": actor, "accepted_at": timezone.now()},
    )
    audit.record(
        actor=actor, action="sharing.agreement.accept", target=application, after={"version": current.version}
    )
    return terms


def require_terms(*, application: Any) -> None:
    """Receiver of ``catalog.application_approving``: once a data-use agreement is published, an
    application is approved only after its applicant accepted it (any version; the acceptance
    names the version)."""
    if agreement_current() is None:
        return
    if not OpenTerms.objects.filter(application=application).exists():
        raise Conflict(
            _("the applicant has not accepted the data-use agreement yet"),
            code=SharingError.TERMS_NOT_ACCEPTED,
        )


@transaction.atomic
def usage_report_submit(*, actor: Any, application: Any, period: str, text: str) -> UsageReport:
    """The applicant's report on an approved application whose agreement they accepted; the
    owning department's deciders are told."""
    _ensure_applicant(actor, application)
    if application.state != "approved":
        raise Conflict(_("reports are for approved applications"))
    if not OpenTerms.objects.filter(application=application).exists():
        raise Conflict(_("accept the data-use agreement first"))
    period, text = (period or "").strip(), (text or "").strip()
    errors = {}
    if not 1 <= len(period) <= 40:
        errors["period"] = [_("a period of at most 40 characters, e.g. 2026-Q4")]
    if not 10 <= len(text) <= 10000:
        errors["text"] = [_("describe the use in 10 to 10000 characters")]
    if errors:
        raise ValidationError(fields=errors)
    report = UsageReport.objects.create(application=application, period=period, text=text, submitted_by=actor)
    audit.record(actor=actor, action="sharing.usage_report.submit", target=report, after={"period": period})
    for user in account_selectors.holders_of(
        "catalog.decide_applications",
        application.org_unit.path,
        department=application.department,
        nearest=True,
    ):
        notify(
            recipient=user,
            event="sharing.usage_report",
            title=_("Usage report for %(resource)s (%(period)s)")
            % {"resource": application.resource.title, "period": period},
        )
    return report


def application_revoke(*, actor: Any, application: Any, note: str) -> Any:
    """End an approved application's access: the catalogue's own transition (its deciders)."""
    return catalog_services.application_revoke(actor=actor, application=application, note=note)
