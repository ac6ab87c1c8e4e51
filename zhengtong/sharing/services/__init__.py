"""Writes of the sharing module, one module per use case:

- ``profiles``: the sharing attributes of a catalogue resource or a base registry;
- ``requests``: sharing requests and their decision by grade, ending in a grant;
- ``grants``: the consumer's key bound to a grant; suspension, revocation, expiry;
- ``exchange``: delivery (verification, interface) under a grant, logged and receipted;
  ``verify_for_case`` is the services module's entry point;
- ``objections``: data objections and their answers;
- ``alerts``: volume spikes (off-hours use is caught at call time);
- ``peers``: other installations (trust list, verification calls across the boundary);
- ``peer_requests``: requests, decisions and keys across the boundary (signed messages).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zhengtong.audit import actions as audit_actions
from zhengtong.sharing.services.alerts import spikes_scan
from zhengtong.sharing.services.batch import (
    batch_extract,
    batch_file,
    batch_schedule,
    batch_trace,
    batches_due,
)
from zhengtong.sharing.services.exchange import exchange_call, grant_for_key, serve, verify_for_case
from zhengtong.sharing.services.grants import (
    grant_key_issue,
    grant_resume,
    grant_revoke,
    grant_suspend,
    grants_expire,
)
from zhengtong.sharing.services.objections import objection_answer, objection_raise
from zhengtong.sharing.services.open_terms import (
    agreement_current,
    agreement_publish,
    application_revoke,
    terms_accept,
    usage_report_submit,
)
from zhengtong.sharing.services.peer_requests import (
    incoming_catalogue,
    incoming_request,
    incoming_status,
    peer_catalogue,
    remote_request_check,
    remote_request_create,
    remote_requests_check_open,
)
from zhengtong.sharing.services.peers import anchors, peer_refresh, remote_key, remote_verify
from zhengtong.sharing.services.profiles import default_fields, profile_set, source_fields
from zhengtong.sharing.services.requests import (
    approvals_needed,
    capacities,
    request_approve,
    request_create,
    request_reject,
    request_withdraw,
)

audit_actions.register(
    {
        "sharing.profile.set": gettext_lazy("Set sharing attributes"),
        "sharing.key.issue": gettext_lazy("Issue sharing key"),
        "sharing.key.revoke": gettext_lazy("Revoke sharing key"),
        "sharing.peer.refresh": gettext_lazy("Refresh a trusted installation's keys"),
        "sharing.agreement.publish": gettext_lazy("Publish a data-use agreement version"),
        "sharing.agreement.accept": gettext_lazy("Accept the data-use agreement"),
        "sharing.usage_report.submit": gettext_lazy("Submit a usage report"),
        "sharing.batch.schedule": gettext_lazy("Schedule batch extracts"),
        "sharing.remote_request.send": gettext_lazy("Send a sharing request to another installation"),
        "sharing.remote_request.update": gettext_lazy("Record another installation's decision"),
        "sharing.remote_request.refused": gettext_lazy("Another installation refused a call"),
    }
)

__all__ = [
    "agreement_current",
    "agreement_publish",
    "anchors",
    "application_revoke",
    "terms_accept",
    "usage_report_submit",
    "batch_extract",
    "batch_schedule",
    "batches_due",
    "batch_file",
    "batch_trace",
    "peer_refresh",
    "incoming_catalogue",
    "incoming_request",
    "incoming_status",
    "peer_catalogue",
    "remote_key",
    "remote_request_check",
    "remote_request_create",
    "remote_requests_check_open",
    "remote_verify",
    "approvals_needed",
    "capacities",
    "default_fields",
    "exchange_call",
    "grant_for_key",
    "grant_key_issue",
    "grant_resume",
    "grant_revoke",
    "grant_suspend",
    "grants_expire",
    "objection_answer",
    "objection_raise",
    "profile_set",
    "request_approve",
    "request_create",
    "request_reject",
    "request_withdraw",
    "serve",
    "source_fields",
    "spikes_scan",
    "verify_for_case",
]
