"""What the use cases of the services module share: the permissions, roles and audit actions it
declares, and the helpers that tell an applicant what happened to their case."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhengtong.accounts.roles import extend_role, register_permissions
from zhengtong.accounts.selectors import holders_of
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.notify.services import notify
from zhengtong.services import notices
from zhengtong.services.models import Case

register_permissions(
    {
        "services.view": gettext_lazy("See cases of one's scope"),
        "services.accept": gettext_lazy("Accept, refuse and request correction of cases"),
        "services.review": gettext_lazy("Review, approve and reject cases"),
        "services.supervise": gettext_lazy("Supervise cases, escalations and ratings"),
        "services.manage_catalogue": gettext_lazy("Publish service items"),
        "services.confirm_payment": gettext_lazy("Record a confirmed payment on a case (the platform only)"),
    }
)
extend_role("counter_staff", {"services.view", "services.accept"})
extend_role("reviewer", {"services.view", "services.review"})
extend_role("supervisor", {"services.view", "services.supervise", "services.manage_catalogue"})

audit_actions.register(
    {
        "services.item.publish": gettext_lazy("Publish service item version"),
        "services.case.submit": gettext_lazy("Submit application"),
        "services.case.escalate": gettext_lazy("Escalate overdue case"),
        "services.case.licence": gettext_lazy("Issue e-licence for case"),
        "services.case.newborn": gettext_lazy("Enter newborn of case in the population registry"),
        "services.bundle.submit": gettext_lazy("Submit bundle application"),
        "services.rating.create": gettext_lazy("Rate a service"),
        "services.rating.rectified": gettext_lazy("Rectification of a bad rating closed"),
        "services.rating.appeal": gettext_lazy("Appeal a rating's handling"),
        "services.rating.appeal_decide": gettext_lazy("Decide a rating appeal"),
        "services.rating.verdict": gettext_lazy("Give a verdict on a rating's rectification"),
        "services.rating.contest": gettext_lazy("Contest a bad rating as malicious"),
        "services.rating.contest_decide": gettext_lazy("Decide a department's contest of a rating"),
        "services.case.identifier_revealed": gettext_lazy("Show an identifier of a case in full"),
    }
)


def tell(user, event: str, title: str, body: str = "", link: str = "", *, applicant: bool = False) -> None:
    """Notify a user through the notify module's contract. ``applicant``: a step of their own
    case, also sent on the outward channels of ``SERVICES_CASE_CHANNELS`` (SMS by default), so
    people without the app hear of each step."""
    channels = ("inbox", *settings.SERVICES_CASE_CHANNELS) if applicant else ("inbox",)
    notify(recipient=user, event=event, title=title, body=body, link=link, channels=channels)


def case_link(case: Case) -> str:
    return reverse("services:my_case", args=[case.pk])


def new_number(prefix: str = "") -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.randbelow(10**10):010d}"


APPLICANT_EVENTS = {
    "accept": gettext_lazy("Your application %(number)s was accepted"),
    "refuse": gettext_lazy("Your application %(number)s was not accepted"),
    "request_correction": gettext_lazy("Your application %(number)s needs correction"),
    "send_back": gettext_lazy("Your application %(number)s needs correction"),
    "reject": gettext_lazy("Your application %(number)s was rejected"),
    "complete": gettext_lazy("Your application %(number)s is completed"),
    "pay": gettext_lazy("Fee for application %(number)s received"),
}


# The transitions after which the applicant is invited to rate a stage (好差评).
RATING_INVITES = {"accept": "accepted", "complete": "ended", "reject": "ended", "refuse": "ended"}


def after_transition(case: Case, action: str, note: str = "") -> None:
    """In the transition's transaction: tell the applicant, invite a rating where a stage ends,
    and have its notice sealed after commit."""
    notices.notice_enqueue(case, action)
    title = APPLICANT_EVENTS.get(action)
    if title:
        tell(
            case.applicant,
            f"services.case.{action}",
            str(title) % {"number": case.number},
            note,
            case_link(case),
            applicant=True,
        )
    if action in RATING_INVITES:
        rating_invite(case, RATING_INVITES[action])


LINK_SALT = "services.rating-link"


def rating_link_token(case: Case, stage: str) -> str:
    """The signed token of a rating invitation: the case, its applicant and the stage."""
    return signing.dumps({"c": case.pk, "a": case.applicant_id, "s": stage}, salt=LINK_SALT, compress=True)


def rating_link(case: Case, stage: str) -> str:
    """The rating page of an invitation, absolute when ``SERVICES_PUBLIC_URL`` is set."""
    path = reverse("services:rate_link", args=[rating_link_token(case, stage)])
    return f"{settings.SERVICES_PUBLIC_URL.rstrip('/')}{path}"


INVITES = {
    "accepted": gettext_lazy("Please rate the acceptance of your application %(number)s"),
    "ended": gettext_lazy("Please rate the handling of your application %(number)s"),
}


def rating_invite(case: Case, stage: str) -> None:
    """In the transition's transaction: invite the applicant to rate the stage (inbox and the
    outward channels; the SMS carries the signed link)."""
    tell(
        case.applicant,
        "services.rating.invite",
        str(INVITES[stage]) % {"number": case.number},
        rating_link(case, stage),
        case_link(case),
        applicant=True,
    )


def escalate_to_supervisors(
    by_path: dict[str, list[tuple[int, str]]],
    *,
    event: str,
    message: str,
    link: str,
    action: str,
    target_type: str,
    via: str = "",
) -> None:
    """Overdue items, grouped by org path as ``[(pk, number), ...]``, told to the nearest holders of
    ``services.supervise`` (deepest org unit; higher levels only when none is nearer) and audited
    once per path. ``message`` has ``%(count)d`` and ``%(first)s`` placeholders."""
    for path, items in by_path.items():
        nearest = holders_of("services.supervise", path, nearest=True)[:20]
        text = message % {"count": len(items), "first": ", ".join(n for _pk, n in items[:3])}
        with transaction.atomic():
            for supervisor in nearest:
                tell(supervisor, event, text, link=link)
            audit.record(
                actor=None,
                via=via,
                action=action,
                target_type=target_type,
                target_id=str(items[0][0]) if len(items) == 1 else "",
                target_label=path,
                after={
                    "count": len(items),
                    "cases": [n for _pk, n in items[:100]],
                    "supervisors": [u.username for u in nearest],
                },
            )
