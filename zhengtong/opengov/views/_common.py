"""What the opengov pages share: the domain errors a form shows, download types."""

from __future__ import annotations

from zhengtong.core.errors import Conflict, PermissionDenied, RateLimited, ValidationError

DOMAIN_ERRORS = (ValidationError, Conflict, PermissionDenied, RateLimited)
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text": "text/plain; charset=utf-8",
}
