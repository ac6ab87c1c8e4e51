"""Reuses (开放应用) of open datasets, their review, and data-innovation campaigns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.datause.errors import DatauseError
from zhengtong.datause.models import Campaign, Reuse, ReuseKind
from zhengtong.datause.services.common import choice, text, write_allowed
from zhengtong.datause.services.feedback import published_dataset
from zhengtong.datause.services.follows import tell

audit_actions.register(
    {
        "datause.campaign.create": gettext_lazy("Open a data-innovation campaign"),
        "datause.campaign.results": gettext_lazy("Publish a campaign's results"),
    }
)

MAX_DATASETS = 20


def _url(value: Any) -> str:
    url = text("url", value, 500)
    if not url.startswith(("https://", "http://")):
        raise ValidationError.for_field("url", _("must be an http(s) address"))
    return url


def reuse_submit(
    *,
    actor: Any,
    title: str,
    kind: str,
    url: str,
    description: str,
    datasets: list[Any],
    campaign: Campaign | None = None,
    theme: str = "",
) -> Reuse:
    """Submit a reuse built on one or more published datasets (reviewed before it is shown);
    within a campaign before its deadline, on one of its themes."""
    write_allowed(actor)
    cleaned = {
        "title": text("title", title, 200),
        "kind": choice("kind", kind, list(ReuseKind.values)),
        "url": _url(url),
        "description": text("description", description, 4000),
    }
    if not isinstance(datasets, list | tuple) or not datasets:
        raise ValidationError.for_field("datasets", _("at least one dataset is required"))
    if len(datasets) > MAX_DATASETS:
        raise ValidationError.for_field("datasets", _("at most %d datasets") % MAX_DATASETS)
    found = list({d.pk: d for d in (published_dataset(actor, d) for d in datasets)}.values())
    theme = text("theme", theme, 100, required=False)
    if campaign is not None:
        if campaign.deadline < timezone.localdate():
            raise Conflict(_("the campaign's deadline has passed"), code=DatauseError.CAMPAIGN_CLOSED)
        if campaign.themes and theme not in campaign.themes:
            raise ValidationError.for_field("theme", _("must be one of %s") % "、".join(campaign.themes))
    with transaction.atomic():
        reuse = Reuse.objects.create(
            **cleaned,
            submitter=actor,
            org_unit=found[0].org_unit,
            campaign=campaign,
            theme=theme,
            state=Reuse.workflow.initial,
        )
        reuse.datasets.set(found)
        Reuse.workflow.start(
            reuse, actor=actor, after={"title": reuse.title, "datasets": [d.name for d in found]}
        )
    return reuse


def reuse_publish(*, actor: Any, reuse: Reuse, expected_version: int | None = None) -> Reuse:
    """A reviewer (datause.review) shows the reuse in the gallery and on its datasets' pages."""
    ensure_authenticated(actor)
    with transaction.atomic():
        Reuse.workflow.apply(
            reuse,
            "publish",
            actor=actor,
            changes={"published_at": timezone.now()},
            expected_version=expected_version,
        )
        tell(
            [reuse.submitter],
            event="datause.reuse_published",
            title=_("Your reuse is published: %s") % reuse.title,
            link=reverse("datause:reuse_detail", args=[reuse.pk]),
            skip=actor,
        )
    return reuse


def reuse_reject(*, actor: Any, reuse: Reuse, note: str, expected_version: int | None = None) -> Reuse:
    ensure_authenticated(actor)
    cleaned = text("note", note, 500)
    with transaction.atomic():
        Reuse.workflow.apply(
            reuse,
            "reject",
            actor=actor,
            note=cleaned,
            changes={"review_note": cleaned},
            expected_version=expected_version,
        )
        tell(
            [reuse.submitter],
            event="datause.reuse_rejected",
            title=_("Your reuse was not published: %s") % reuse.title,
            body=cleaned,
            skip=actor,
        )
    return reuse


def reuse_withdraw(*, actor: Any, reuse: Reuse, expected_version: int | None = None) -> Reuse:
    ensure_authenticated(actor)
    Reuse.workflow.apply(reuse, "withdraw", actor=actor, expected_version=expected_version)
    return reuse


def campaign_create(
    *,
    actor: Any,
    org_unit: Any,
    title: str,
    deadline: dt.date,
    description: str = "",
    themes: list[str] | None = None,
) -> Campaign:
    """Open a campaign (datause.review at ``org_unit``) with themes and a deadline."""
    ensure_can(actor, "datause.review", org_unit)
    if not isinstance(deadline, dt.date) or deadline < timezone.localdate():
        raise ValidationError.for_field("deadline", _("a date from today on is required"))
    cleaned_themes = [text("themes", t, 100) for t in (themes or [])][:20]
    with transaction.atomic():
        campaign = Campaign.objects.create(
            title=text("title", title, 200),
            description=text("description", description, 4000, required=False),
            themes=cleaned_themes,
            org_unit=org_unit,
            deadline=deadline,
        )
        audit.record(actor=actor, action="datause.campaign.create", target=campaign, org_unit=org_unit)
    return campaign


def campaign_results(*, actor: Any, campaign: Campaign, results: str, awards: dict[int, str]) -> Campaign:
    """After the deadline, publish the results and the awards of published submissions."""
    ensure_can(actor, "datause.review", campaign.org_unit)
    if campaign.deadline >= timezone.localdate():
        raise ValidationError.for_field("results", _("results come after the deadline"))
    cleaned = text("results", results, 4000)
    entries = {r.pk: r for r in campaign.reuses.filter(state="published")}
    unknown = [pk for pk in awards if pk not in entries]
    if unknown:
        raise ValidationError.for_field(
            "awards", _("not published submissions of this campaign: %s") % unknown
        )
    with transaction.atomic():
        for pk, award in awards.items():
            Reuse.objects.filter(pk=pk).update(award=text("awards", award, 100))
        campaign.results = cleaned
        campaign.results_published_at = timezone.now()
        campaign.save(update_fields=["results", "results_published_at"])
        audit.record(
            actor=actor,
            action="datause.campaign.results",
            target=campaign,
            org_unit=campaign.org_unit,
            after={"awards": {str(k): v for k, v in awards.items()}},
        )
    return campaign
