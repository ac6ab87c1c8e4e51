"""Progress of a case for people (办件进度): the timeline as labelled steps, and the public
办件查询 by case number plus a check value only the applicant knows.

``case_progress`` is what the applicant's page, the staff page, the API and the public look-up
show: one entry per timeline entry with the action's label, the state it led to only when the
state changed (no "已提交 → 已提交"), the review step, the correction items and the note. The
public look-up (``case_track``) leaves out the note, the items and the reviewers: it says where a
case stands, not what is in it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import CharField, OuterRef
from django.db.models.functions import Cast, JSONObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.core import ratelimit
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.masking import mask_name, mask_resident_id
from zhengtong.core.prepared import Prepared
from zhengtong.core.workflow import timeline, timeline_query
from zhengtong.services.models import Case
from zhengtong.services.workflows import OPEN_STATES

# Check values: the last four digits of the applicant's mobile number, or the last six characters
# of their resident ID (or of the enterprise's USCC), as printed on the acceptance notice.
PHONE_CHECK_LEN = 4
ID_CHECK_LEN = 6


@dataclass
class ProgressEntry:
    at: datetime
    action: str
    label: str
    state: str
    state_label: str  # empty when the entry did not change the state
    step: str = ""
    note: str = ""
    items: list[str] = field(default_factory=list)


def _items(data: Any) -> list[str]:
    # ``data`` is the transition's JSON; only a list under "items" is a correction list (a
    # template's ``entry.data.items`` would call dict.items() when the key is absent).
    value = data.get("items") if isinstance(data, dict) else None
    return [str(i) for i in value] if isinstance(value, list) else []


def _label(workflow: Any, action: str) -> str:
    if action == "submit":
        return _("Submitted")
    if action == "create":
        return _("Created")
    try:
        return str(workflow.transition(action).label)
    except ValidationError:
        return action


def case_progress(case: Case, *, public: bool = False) -> list[ProgressEntry]:
    """The case's timeline for people; ``public`` leaves out notes and correction items."""
    return [
        _entry(
            case.workflow,
            e.transition,
            e.from_state,
            e.to_state,
            e.data,
            e.at,
            "" if public else e.note,
            public,
        )
        for e in timeline(case)
    ]


def _entry(
    workflow: Any,
    action: str,
    from_state: str,
    to_state: str,
    data: Any,
    at: datetime,
    note: str,
    public: bool,
) -> ProgressEntry:
    data = data if isinstance(data, dict) else {}
    label = _label(workflow, action)
    state_label = workflow.state_label(to_state)
    # The state only when the step changed it and its name says more than the step's own.
    changed = from_state != to_state or action == "submit"
    return ProgressEntry(
        at=at,
        action=action,
        label=label,
        state=to_state,
        state_label=state_label if changed and state_label != label else "",
        step=str(data.get("step", "")) if isinstance(data.get("step", ""), str) else "",
        note=note,
        items=[] if public else _items(data),
    )


# --- public 办件查询 ----------------------------------------------------------------------------


@dataclass
class TrackedCase:
    number: str
    item: str
    department: str
    applicant: str  # masked
    state: str
    state_label: str
    submitted_at: datetime | None
    deadline: Any
    sla_state: str
    completed_at: datetime | None
    is_open: bool
    progress: list[ProgressEntry]


def clean_track_query(number: Any, check: Any) -> tuple[str, str]:
    """The case number and check value, or field errors naming the rule."""
    number = str(number or "").strip()
    check = str(check or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if not number:
        errors["number"] = [_("enter the case number printed on your receipt")]
    elif len(number) > 32 or not number.isascii() or not number.isalnum():
        errors["number"] = [_("a case number has at most 32 letters and digits")]
    if not check:
        errors["check"] = [
            _("enter the last 4 digits of your mobile number or the last 6 characters of your ID number")
        ]
    elif len(check) not in (PHONE_CHECK_LEN, ID_CHECK_LEN) or not check.isascii() or not check.isalnum():
        errors["check"] = [
            _("4 digits of the mobile number or 6 characters of the ID number, letters and digits only")
        ]
    if errors:
        raise ValidationError(fields=errors)
    return number, check


# What the look-up reads: one indexed query by number with its joins, values only (no model
# objects, no select_related, no ORDER BY; the case's JSON columns, which can be large, are not read).
TRACK_COLUMNS = (
    "pk",
    "state",
    "submitted_at",
    "sla_deadline",
    "sla_state",
    "completed_at",
    "item__name",
    "department__name",
    "applicant__phone",
    "applicant__resident_id",
    "applicant__display_name",
    "applicant_person__resident_id",
    "applicant_entity__uscc",
    "applicant_entity__name",
)


# The look-up's two queries, compiled once per connection (core.prepared): Django's compilation
# was about 45% of a look-up's CPU.
_TRACK_CASE = Prepared(
    lambda number: Case.objects.filter(number=number).order_by().values_list(*TRACK_COLUMNS)[:1], 1
)
_TRACK_TIMELINE = Prepared(
    lambda case_id: timeline_query("services.case", case_id).values_list(
        "transition", "from_state", "to_state", "data", "at"
    ),
    1,
)


# On PostgreSQL the timeline comes with the case, in the same query: one round trip and one
# statement instead of two (an array of JSON objects, oldest first, as ``timeline_query`` orders).
_TRACK_CASE_PG = Prepared(
    lambda number: (
        Case.objects.filter(number=number)
        .order_by()
        .annotate(
            track_timeline=ArraySubquery(
                timeline_query("services.case", Cast(OuterRef("pk"), output_field=CharField())).values(
                    entry=JSONObject(t="transition", f="from_state", s="to_state", d="data", a="at")
                )
            )
        )
        .values_list(*TRACK_COLUMNS, "track_timeline")[:1]
    ),
    1,
)


def _timeline_from_json(entries: list[dict] | None) -> list[tuple]:
    """The rows ``_TRACK_TIMELINE`` would give, from the JSON objects of ``_TRACK_CASE_PG``
    (PostgreSQL writes a timestamp as ISO 8601 with its offset: read back as the same instant)."""
    return [
        (e["t"], e["f"], e["s"], e["d"], datetime.fromisoformat(e["a"]).astimezone(UTC))
        for e in entries or ()
    ]


def track_payload(result: TrackedCase) -> dict[str, Any]:
    """The answer of ``GET /api/v1/services/track`` (the API and the lean service's one shape)."""
    return {**result.__dict__, "progress": [e.__dict__ for e in result.progress]}


def case_track(*, number: Any, check: Any, client: str) -> TrackedCase:
    """Public 办件查询: where the case ``number`` stands, for whoever knows the check value: two
    indexed queries (the case with its joins, its timeline), compiled once per connection, and
    one cache round trip for both rate limits.

    Rate-limited per client address (``SERVICES_TRACK_PER_MINUTE``) and per case number for wrong
    check values (``SERVICES_TRACK_FAILURES_PER_NUMBER`` an hour), so the four digits cannot be
    guessed; an unknown number and a wrong check value give the same answer. Writes nothing."""
    number, check = clean_track_query(number, check)
    failures = dict(limit=settings.SERVICES_TRACK_FAILURES_PER_NUMBER, window_seconds=3600)
    # The per-address count and the number's failure budget in one cache round trip.
    ratelimit.hit_and_check(
        "services.track",
        client or "-",
        limit=settings.SERVICES_TRACK_PER_MINUTE,
        check_scope="services.track.fail",
        check_key=number,
        check_limit=failures["limit"],
        check_window_seconds=failures["window_seconds"],
    )
    pg = connection.vendor == "postgresql"
    rows = (_TRACK_CASE_PG if pg else _TRACK_CASE).rows(number)
    if not rows:
        ratelimit.hit("services.track.fail", number, **failures)
        raise NotFound(_("no case with this number and check value"))
    (pk, state, submitted_at, deadline, sla_state, completed_at, item, department, phone, user_rid, display,
     person_rid, uscc, entity_name, *timeline_json) = rows[0]  # fmt: skip
    checks = []
    phone = (phone or "").strip()
    if len(phone) >= PHONE_CHECK_LEN:
        checks.append(phone[-PHONE_CHECK_LEN:])
    for ident in (person_rid or user_rid or "", uscc or ""):
        if len(ident) >= ID_CHECK_LEN:
            checks.append(ident[-ID_CHECK_LEN:].upper())
    if not any(hmac.compare_digest(check, c) for c in checks):
        ratelimit.hit("services.track.fail", number, **failures)
        raise NotFound(_("no case with this number and check value"))
    if entity_name is not None:
        applicant = entity_name  # an enterprise's name is public
    else:
        applicant = mask_name(display) if display else mask_resident_id(user_rid or "")
    return TrackedCase(
        number=number,
        item=item,
        department=department,
        applicant=applicant,
        state=state,
        state_label=Case.workflow.state_label(state),
        submitted_at=submitted_at,
        deadline=deadline,
        sla_state=sla_state,
        completed_at=completed_at,
        is_open=state in OPEN_STATES,
        progress=[
            _entry(Case.workflow, action, from_state, to_state, data, at, "", True)
            for action, from_state, to_state, data, at in (
                _timeline_from_json(timeline_json[0]) if pg else _TRACK_TIMELINE.rows(str(pk))
            )
        ],
    )


MODES = {
    "all": gettext_lazy("joint sign-off by all (会签)"),
    "any": gettext_lazy("any one signer (或签)"),
    "quorum": gettext_lazy("a quorum of signers"),
}


def item_flow(version) -> list[dict[str, str]]:
    """The flow of an item version as the guide shows it (办理流程): application, acceptance
    (with the §32 correction rule), each review step of the version with its sign-off rule,
    the decision and the delivery of the result."""
    steps = [
        {"name": _("Application (申请)"), "note": _("online, on mobile or at the counter")},
        {
            "name": _("Acceptance (受理)"),
            "note": _("the counter accepts, or asks for every correction at once within %d working days")
            % settings.SERVICES_CORRECTION_NOTICE_DAYS,
        },
    ]
    for step in version.review_steps or [{"name": "审核", "mode": "single"}]:
        mode = step.get("mode", "single")
        note = str(MODES.get(mode, ""))
        if mode in ("all", "any", "quorum") and step.get("signers"):
            note = f"{note} · " + _("%d signers") % int(step["signers"])
        steps.append({"name": str(step.get("name", "")), "note": note})
    steps.append(
        {
            "name": _("Decision (决定)"),
            "note": _("within %d working days (promised)") % version.promised_days,
        }
    )
    steps.append({"name": _("Result delivered (送达)"), "note": ""})
    return steps
