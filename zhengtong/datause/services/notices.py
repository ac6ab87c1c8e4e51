"""Receivers of the catalogue's hooks: followers told of new versions, applicants of decisions,
requests answered "will be opened" or "scheduled" fulfilled when their dataset is published."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from zhengtong.datause.models import DatasetStatus, Follow
from zhengtong.datause.services.follows import followers, tell


def version_published(*, resource: Any, version: Any) -> None:
    """A new version of a published dataset: its followers and its department's followers are
    told, and its timeliness flag is cleared at once."""
    if resource.state != "published":
        return
    users = {u.pk: u for u in followers(Follow.Target.DATASET, [resource.pk])}
    users.update({u.pk: u for u in followers(Follow.Target.DEPARTMENT, [resource.department_id])})
    tell(
        list(users.values()),
        event="datause.new_version",
        title=_("New version of %s") % resource.title,
        body=_("Version %(n)d, %(rows)d rows.") % {"n": version.number, "rows": version.row_count},
        link=reverse("catalog:dataset", args=[resource.name]),
        skip=version.created_by,
    )
    DatasetStatus.objects.filter(resource_id=resource.pk).update(
        overdue_since=None, notified_on=None, last_updated_at=version.created_at
    )


def application_decided(*, application: Any) -> None:
    """The applicant of a conditional-access application is told of the decision."""
    approved = application.state == "approved"
    tell(
        [application.applicant],
        event="datause.application_decided",
        title=(
            _("Your data application was approved: %s")
            if approved
            else _("Your data application was refused: %s")
        )
        % application.resource.title,
        body=application.decision_note,
        link=reverse("catalog:dataset", args=[application.resource.name]),
    )
