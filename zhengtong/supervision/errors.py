from zhengtong.core.errors import ErrorCode


class SupervisionError(ErrorCode):
    SEED_MISMATCH = (
        "supervision_seed_mismatch",
        "the seed does not match the published commitment, or the plan was drawn already; refused and audited",
    )
    EMPTY_POPULATION = "supervision_empty_population", "the plan's filters select no entity"
    NO_INSPECTORS = (
        "supervision_no_inspectors",
        "too few officers without a conflict of interest for a target",
    )
    NOT_ASSIGNED = "supervision_not_assigned", "you are not an inspector assigned to this inspection"
    DEADLINE_PASSED = (
        "supervision_deadline_passed",
        "a statutory time limit of the penalty procedure has passed",
    )
    BAD_SIGNATURE = (
        "supervision_bad_signature",
        "the platform report's signature does not verify with the registered key",
    )
    REPORT_LATE = "supervision_report_late", "the platform report arrived after its deadline"
    REPORT_DUPLICATE = (
        "supervision_report_duplicate",
        "a different report for that platform, type and period was accepted already",
    )
    REPORT_INVALID = (
        "supervision_report_invalid",
        "rows break the published schema; details.rows lists row, field and rule",
    )
    ALERT_SEEDED = "supervision_alert_seeded", "a targeted plan was seeded from this alert already"
    SIGNATURE_MISMATCH = (
        "supervision_signature_mismatch",
        "a hand-drawn signature's file does not match the SHA-256 on the inspection record",
    )
