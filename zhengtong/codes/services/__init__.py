"""Writes of codes, one module per use case (see docs/codes.md "Layout"):

- ``rules``: purposes and the current rule set, CertLogic evaluation; ``rule_sets``: publishing;
- ``subjects``: the person or enterprise a code is about, its data context and pseudonym;
- ``records``: purpose-specific records entered by staff;
- ``issuance``: signing codes, re-issuing a purpose;
- ``overrides`` and ``appeals``: manual colours, appeals and their decisions;
- ``verification``: the trust store, verification and its aggregate counts;
- ``retention``: sunsetting a purpose, purging data past retention;
- ``risk`` (五色图) and ``indices`` (一指数).

The public functions are re-exported here: callers write ``services.issue(...)``.
"""

from zhengtong.codes.services.appeals import appeal_reject, appeal_submit, appeal_uphold
from zhengtong.codes.services.indices import INDEX_FIELDS, INDEX_RESOURCE, index_compute, index_publish
from zhengtong.codes.services.issuance import (
    active_override,
    current_issuance,
    enqueue_reissue,
    forget_signers,
    issue,
    reissue_purpose,
)
from zhengtong.codes.services.overrides import override_lift, override_set, override_signature_valid
from zhengtong.codes.services.records import RECORD_KINDS, record_add
from zhengtong.codes.services.retention import purpose_sunset, retention_purge
from zhengtong.codes.services.risk import classify_risk, risk_compute, risk_levels_on, risk_thresholds
from zhengtong.codes.services.rule_sets import rule_set_publish
from zhengtong.codes.services.rules import evaluate_rules, purpose_get, rule_set_current
from zhengtong.codes.services.subjects import (
    subject_context,
    subject_for_entity,
    subject_for_person,
    subject_of_user,
    subject_owned_by,
    subject_pseudonym,
)
from zhengtong.codes.services.verification import (
    FLUSH_EVERY,
    FLUSH_SECONDS,
    STORE_CACHE,
    STORE_TTL_SECONDS,
    count_verification,
    flush_counts,
    forget_trust_store,
    rate_limit,
    trust_store,
    verify_code,
)

__all__ = [
    "FLUSH_EVERY",
    "FLUSH_SECONDS",
    "INDEX_FIELDS",
    "INDEX_RESOURCE",
    "RECORD_KINDS",
    "STORE_CACHE",
    "STORE_TTL_SECONDS",
    "active_override",
    "appeal_reject",
    "appeal_submit",
    "appeal_uphold",
    "classify_risk",
    "count_verification",
    "current_issuance",
    "enqueue_reissue",
    "evaluate_rules",
    "flush_counts",
    "forget_signers",
    "forget_trust_store",
    "index_compute",
    "index_publish",
    "issue",
    "override_lift",
    "override_set",
    "override_signature_valid",
    "purpose_get",
    "purpose_sunset",
    "record_add",
    "rate_limit",
    "reissue_purpose",
    "retention_purge",
    "risk_compute",
    "risk_levels_on",
    "risk_thresholds",
    "rule_set_current",
    "rule_set_publish",
    "subject_context",
    "subject_for_entity",
    "subject_for_person",
    "subject_of_user",
    "subject_owned_by",
    "subject_pseudonym",
    "trust_store",
    "verify_code",
]
