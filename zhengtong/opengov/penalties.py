"""双公示 of administrative penalties: a decision of the supervision module is published here as soon
as it is made (the ``supervision.penalty_decided`` hook, inside the deciding transaction), with the
party desensitized by supervision's own rule and again by ours, for the same publicity period."""

from __future__ import annotations

from zhengtong.opengov.services.publicity import publicity_publish
from zhengtong.supervision import hooks as supervision_hooks  # declares the hook we receive
from zhengtong.supervision.selectors import desensitized_party

HOOK = supervision_hooks.PENALTY_DECIDED.name


def on_penalty_decided(*, case) -> None:
    name, identifier = desensitized_party(case)
    publicity_days = (case.publicity_until - case.decided_on).days if case.publicity_until else None
    publicity_publish(
        kind="penalty",
        source_ref=f"penalty:{case.pk}",
        department=case.department,
        decision_number=case.decision_no,
        decision_name=case.get_penalty_kind_display() or "行政处罚决定",
        party_category="individual" if case.party_kind == "individual" else "legal_person",
        party_name=name,
        party_code=identifier,
        content=case.legal_basis,
        decided_on=case.decided_on,
        publicity_days=publicity_days,
        via="opengov",
    )
