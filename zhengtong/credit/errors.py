from zhengtong.core.errors import ErrorCode


class CreditError(ErrorCode):
    NOT_LISTED = "credit_not_listed", "the entity is not on that list, or the entry has ended"
    REPAIR_NOT_ALLOWED = (
        "credit_repair_not_allowed",
        "the record cannot be repaired yet (minimum publicity period not over, or already repaired)",
    )
    REPAIR_PENDING = "credit_repair_pending", "a repair request for that record is already open"
