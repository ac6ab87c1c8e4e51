"""Workflows of the catalogue: a data resource's lifecycle and conditional-access applications."""

from __future__ import annotations

from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from zhengtong.core.workflow import Transition, Workflow


def _ready_for_review(resource, actor, data) -> str | None:
    version = resource.current_version
    if version is None:
        return _gettext("load data before submitting the resource for review")
    unconfirmed = [f["name"] for f in version.fields if not f.get("confirmed")]
    if unconfirmed:
        return _gettext("confirm the grades of these fields first: %s") % ", ".join(unconfirmed)
    return None


RESOURCE_FLOW = Workflow(
    name="catalog.resource",
    states={
        "draft": _("draft"),
        "under_review": _("under review"),
        "published": _("published"),
        "retired": _("retired"),
    },
    initial="draft",
    transitions=[
        Transition(
            "submit",
            ("draft",),
            "under_review",
            _("Submit for review"),
            "catalog.edit",
            guard=_ready_for_review,
        ),
        Transition(
            "approve",
            ("under_review",),
            "published",
            _("Approve and publish"),
            "catalog.review",
            guard=_ready_for_review,
        ),
        Transition(
            "reject",
            ("under_review",),
            "draft",
            _("Reject and return to draft"),
            "catalog.review",
            note_required=True,
        ),
        Transition(
            "retire", ("published",), "retired", _("Retire resource"), "catalog.edit", note_required=True
        ),
        Transition("reopen", ("retired",), "draft", _("Reopen as draft"), "catalog.edit"),
        # Only the harvester takes this one (via="catalog.harvest"; no page or API offers it): a
        # harvested metadata record is published as its origin published it.
        Transition(
            "harvest",
            ("draft", "retired"),
            "published",
            _("Publish harvested record"),
            "catalog.manage_harvest",
        ),
    ],
)


def _is_applicant(application, actor) -> bool:
    return actor is not None and application.applicant_id == getattr(actor, "pk", None)


APPLICATION_FLOW = Workflow(
    name="catalog.application",
    states={
        "submitted": _("submitted"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "withdrawn": _("withdrawn"),
        "revoked": _("revoked"),
    },
    initial="submitted",
    transitions=[
        Transition(
            "approve",
            ("submitted",),
            "approved",
            _("Approve data application"),
            "catalog.decide_applications",
        ),
        Transition(
            "reject",
            ("submitted",),
            "rejected",
            _("Reject data application"),
            "catalog.decide_applications",
            note_required=True,
        ),
        Transition(
            "withdraw", ("submitted",), "withdrawn", _("Withdraw data application"), allow=_is_applicant
        ),
        Transition(
            "revoke",
            ("approved",),
            "revoked",
            _("Revoke data access"),
            "catalog.decide_applications",
            note_required=True,
        ),
    ],
)
