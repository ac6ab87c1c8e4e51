"""The sections datause adds to each dataset's page (catalog.hooks.DATASET_PANELS): quality and
timeliness, reuses, error reports, discussion and ratings, follow button."""

from __future__ import annotations

from django.template.loader import render_to_string

from zhengtong.datause import selectors
from zhengtong.datause.models import Follow
from zhengtong.datause.services.quality import LABELS, WEIGHTS, is_overdue


def quality_panel(request, resource) -> str:
    status = selectors.status_of(resource=resource)
    return render_to_string(
        "datause/panels/quality.html",
        {
            "resource": resource,
            "status": status,
            "components": [
                (LABELS[name], points, WEIGHTS[name])
                for name, points in (status.components if status else {}).items()
                if name in WEIGHTS
            ],
            "overdue": is_overdue(resource),
            "following": selectors.follows(
                user=request.user, target=Follow.Target.DATASET, target_id=resource.pk
            ),
        },
        request=request,
    )


def reuses_panel(request, resource) -> str:
    if resource.state != "published":
        return ""
    return render_to_string(
        "datause/panels/reuses.html",
        {"resource": resource, "reuses": selectors.reuses_of_dataset(resource=resource)},
        request=request,
    )


def feedback_panel(request, resource) -> str:
    if resource.state != "published":
        return ""
    return render_to_string(
        "datause/panels/feedback.html",
        {
            "resource": resource,
            "reports": selectors.error_reports_public(resource=resource),
            "comments": selectors.comments(resource=resource, user=request.user),
            "may_moderate": selectors.may_answer(request.user, resource),
            "ratings": selectors.rating_summary(resource=resource),
            "my_rating": selectors.rating_of(user=request.user, resource=resource),
        },
        request=request,
    )
