"""Writes of the services module, one module per use case (see docs/services.md "Layout"):

- ``common``: the permissions, roles and audit actions of the module; telling the applicant;
- ``items``: publishing service items and versions of their rules;
- ``drafts``: what an applicant typed so far;
- ``cases``: applying, the counter's and the applicant's transitions, payment, escalation;
- ``reviews``: reviewers' opinions, joint sign-off, completion (e-licence, newborn);
- ``newborn``: the birth registration's newborn, entered through the registry;
- ``bundles``: bundle applications (一件事一次办);
- ``ratings``: service ratings (好差评), rectification and appeals;
- ``intake``: counter intake (帮办), family proxies (代办), the on-site rating (一次一评);
- ``commitments``: 告知承诺制: 承诺书 texts, signed commitments, the 核查 task and its consequences;
- ``transfers``: 跨省通办 (收受分离): receiving another region's item and delivering its result.
- ``identifiers``: identifiers on staff case pages, masked, and the audited "show in full".

Each workflow transition is its own function (``case_accept``, ``case_refuse``, ...); the HTTP
edge maps a posted action to its function (``CASE_ACTIONS``). The public functions are
re-exported here: callers write ``services.case_submit(...)``.
"""

from zhengtong.services.services import autodecide, eligibility, wallet
from zhengtong.services.services.bundles import bundle_parts, bundle_schema, bundle_submit
from zhengtong.services.services.cases import (
    case_accept,
    case_bill,
    case_mark_paid,
    case_refuse,
    case_request_correction,
    case_resubmit,
    case_send_back,
    case_submit,
    case_supply,
    case_withdraw,
    on_bundle_paid,
    on_case_paid,
    on_overdue,
    owed_of,
    owed_scan,
    prepare_application,
    tolerance_excluded,
)
from zhengtong.services.services.commitments import (
    check_confirm,
    check_find_false,
    commitment_excluded,
    commitment_text_publish,
    on_check_overdue,
)
from zhengtong.services.services.common import APPLICANT_EVENTS, rating_invite, rating_link
from zhengtong.services.services.drafts import draft_get, draft_save
from zhengtong.services.services.identifiers import case_identifier_reveal, case_identifiers, masked
from zhengtong.services.services.intake import (
    counter_file,
    counter_rate,
    proxy_consent_grant,
    proxy_consent_revoke,
    proxy_file,
)
from zhengtong.services.services.items import NEWBORN_FIELDS, NEWBORN_KEY, VERSION_FIELDS, item_publish
from zhengtong.services.services.newborn import register_newborn
from zhengtong.services.services.ratings import (
    BAD_REASONS,
    RATING_LEVELS,
    SUB_INDICATORS,
    on_rating_work_order_closed,
    rating_appeal_revise,
    rating_appeal_uphold,
    rating_contest,
    rating_contest_decide,
    rating_link_read,
    rating_submit,
    rating_submit_by_link,
    rating_verdict,
)
from zhengtong.services.services.reviews import case_approve, case_complete, case_reject, step_outcome
from zhengtong.services.services.transfers import (
    TRANSFER_ACTIONS,
    item_set_tongban,
    transfer_hand_over,
    transfer_post_result,
    transfer_receive,
    transfer_send_to_counter,
)

# The HTTP edge (pages and API) maps a staff or applicant action to its function. Every one
# takes ``actor``, ``case``, ``note`` and ``expected_version``; those in CORRECTION_ACTIONS
# also take ``items``.
CASE_ACTIONS = {
    "accept": case_accept,
    "refuse": case_refuse,
    "request_correction": case_request_correction,
    "send_back": case_send_back,
    "withdraw": case_withdraw,
    "approve": case_approve,
    "reject": case_reject,
}
CORRECTION_ACTIONS = ("request_correction", "send_back")

__all__ = [
    "autodecide",
    "eligibility",
    "wallet",
    "case_identifier_reveal",
    "case_identifiers",
    "masked",
    "APPLICANT_EVENTS",
    "BAD_REASONS",
    "CASE_ACTIONS",
    "CORRECTION_ACTIONS",
    "NEWBORN_FIELDS",
    "NEWBORN_KEY",
    "RATING_LEVELS",
    "SUB_INDICATORS",
    "TRANSFER_ACTIONS",
    "VERSION_FIELDS",
    "bundle_parts",
    "bundle_schema",
    "bundle_submit",
    "case_accept",
    "case_approve",
    "case_bill",
    "case_complete",
    "case_mark_paid",
    "case_refuse",
    "case_reject",
    "case_request_correction",
    "case_resubmit",
    "case_send_back",
    "case_submit",
    "case_supply",
    "case_withdraw",
    "check_confirm",
    "check_find_false",
    "commitment_excluded",
    "commitment_text_publish",
    "on_check_overdue",
    "counter_file",
    "counter_rate",
    "draft_get",
    "draft_save",
    "item_publish",
    "item_set_tongban",
    "on_bundle_paid",
    "on_case_paid",
    "on_overdue",
    "on_rating_work_order_closed",
    "owed_of",
    "owed_scan",
    "prepare_application",
    "proxy_consent_grant",
    "proxy_consent_revoke",
    "proxy_file",
    "rating_appeal_revise",
    "rating_appeal_uphold",
    "rating_contest",
    "rating_contest_decide",
    "rating_invite",
    "rating_link",
    "rating_link_read",
    "rating_submit",
    "rating_submit_by_link",
    "rating_verdict",
    "register_newborn",
    "step_outcome",
    "tolerance_excluded",
    "transfer_hand_over",
    "transfer_post_result",
    "transfer_receive",
    "transfer_send_to_counter",
]
