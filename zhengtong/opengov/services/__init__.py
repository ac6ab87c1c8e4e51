"""Writes of the opengov module, one module per use case:

- ``requests``: requests for disclosure (filing, clock stops, extension, §36 replies, documents
  and their redaction, publication, review);
- ``documents``: proactive disclosure (documents, validity, guide, catalogue export);
- ``reports``: annual reports; ``participation``: consultations and the leaders' mailbox;
- ``powers``: lists of powers; ``publicity``: 双公示.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zhengtong.audit import actions as audit_actions
from zhengtong.opengov.services.documents import (
    catalogue_export,
    document_publish,
    document_set_validity,
    guide_set,
)
from zhengtong.opengov.services.participation import (
    comment_decide,
    comment_moderate,
    comment_post,
    consultation_create,
    consultation_summarize,
    consultation_update,
    letter_send,
    on_mailbox_closed,
)
from zhengtong.opengov.services.powers import power_remove, power_set
from zhengtong.opengov.services.publicity import (
    desensitize_party,
    licensing_pull,
    publicity_export,
    publicity_publish,
    publicity_withdraw_expired,
)
from zhengtong.opengov.services.reports import report_edit, report_generate, report_publish
from zhengtong.opengov.services.requests import (
    REQUIRED,
    request_ask_correction,
    request_consult,
    request_consulted,
    request_correct,
    request_document_add,
    request_document_check,
    request_document_redact,
    request_extend,
    request_file,
    request_publication_set,
    request_reply,
    request_review_ask,
    request_review_record,
    request_withdraw,
    requests_overdue,
)

audit_actions.register(
    {
        "opengov.request.overdue": gettext_lazy("Overdue requests for disclosure escalated"),
        "opengov.request.publication": gettext_lazy("Publish or unpublish an answered request"),
        "opengov.document.add": gettext_lazy("Attach a document to a reply"),
        "opengov.document.redact": gettext_lazy("Redact a reply document"),
        "opengov.document.check": gettext_lazy("Check a redacted document"),
        "opengov.document.publish": gettext_lazy("Publish a disclosure document"),
        "opengov.document.validity": gettext_lazy("Change a document's validity"),
        "opengov.guide.set": gettext_lazy("Write a disclosure guide"),
        "opengov.report.generate": gettext_lazy("Generate an annual disclosure report"),
        "opengov.report.edit": gettext_lazy("Edit an annual disclosure report"),
        "opengov.report.publish": gettext_lazy("Publish an annual disclosure report"),
        "opengov.consultation.create": gettext_lazy("Open a draft for comments"),
        "opengov.consultation.summarize": gettext_lazy("Publish the summary of opinions"),
        "opengov.consultation.update": gettext_lazy("Change a consultation"),
        "opengov.comment.post": gettext_lazy("Comment on a draft"),
        "opengov.comment.moderate": gettext_lazy("Moderate a comment"),
        "opengov.comment.decide": gettext_lazy("Adopt or reject an opinion"),
        "opengov.letter.send": gettext_lazy("Write to the leaders' mailbox"),
        "opengov.power.set": gettext_lazy("Set an entry of the list of powers"),
        "opengov.power.remove": gettext_lazy("Remove an entry from the list of powers"),
        "opengov.publicity.publish": gettext_lazy("Publish a decision (double publicity)"),
    }
)

__all__ = [
    "REQUIRED",
    "catalogue_export",
    "comment_decide",
    "comment_moderate",
    "comment_post",
    "consultation_create",
    "consultation_summarize",
    "consultation_update",
    "desensitize_party",
    "document_publish",
    "document_set_validity",
    "guide_set",
    "letter_send",
    "licensing_pull",
    "on_mailbox_closed",
    "power_remove",
    "power_set",
    "publicity_export",
    "publicity_publish",
    "publicity_withdraw_expired",
    "report_edit",
    "report_generate",
    "report_publish",
    "request_ask_correction",
    "request_consult",
    "request_consulted",
    "request_correct",
    "request_document_add",
    "request_document_check",
    "request_document_redact",
    "request_extend",
    "request_file",
    "request_publication_set",
    "request_reply",
    "request_review_ask",
    "request_review_record",
    "request_withdraw",
    "requests_overdue",
]
