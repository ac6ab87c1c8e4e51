"""Pages of open government, by use case: the public disclosure site (catalogue, search,
published requests, reports, consultations, mailbox, powers, 双公示), the requester's own
requests, the staff console."""

from zhengtong.opengov.views.documents import department, document_detail, documents, home, staff_document_new
from zhengtong.opengov.views.manage import (
    staff_consultation_edit,
    staff_consultation_new,
    staff_consultations,
    staff_document_validity,
    staff_guide,
    staff_power,
    staff_power_new,
    staff_powers,
)
from zhengtong.opengov.views.participation import consultation, consultations, mailbox, staff_consultation
from zhengtong.opengov.views.publicity import powers, publicity
from zhengtong.opengov.views.reports import report, reports, staff_report, staff_reports
from zhengtong.opengov.views.requests import (
    my_request,
    my_requests,
    published_request,
    published_requests,
    request_document,
    request_new,
    staff_request,
    worklist,
)

__all__ = [
    "consultation",
    "consultations",
    "department",
    "document_detail",
    "documents",
    "home",
    "mailbox",
    "my_request",
    "my_requests",
    "powers",
    "publicity",
    "published_request",
    "published_requests",
    "report",
    "reports",
    "request_document",
    "request_new",
    "staff_consultation",
    "staff_consultation_edit",
    "staff_consultation_new",
    "staff_consultations",
    "staff_document_new",
    "staff_document_validity",
    "staff_guide",
    "staff_power",
    "staff_power_new",
    "staff_powers",
    "staff_report",
    "staff_reports",
    "staff_request",
    "worklist",
]
