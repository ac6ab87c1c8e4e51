"""The error codes the payments module sends (besides ``core.errors.CoreError``'s)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class PaymentsError(ErrorCode):
    NOT_PAYABLE = "not_payable", "the bill is not unpaid (paid, cancelled or refunded): it cannot be paid"
    NOT_REFUNDABLE = "not_refundable", "the bill has no payment to refund"
    PROVIDER_REFUSED = "provider_refused", "the payment provider refused the request"
