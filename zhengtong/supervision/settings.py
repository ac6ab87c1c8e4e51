"""Settings of the supervision module (imported into zhengtong.settings; names are upper-case)."""

from zhengtong.conf import env_int

# Working days after an inspection is recorded within which its result must be published (公示).
SUPERVISION_PUBLICITY_DAYS = env_int("SUPERVISION_PUBLICITY_DAYS", 20, minimum=1)
# Days in which an officer who inspected an entity may not be drawn for it again (conflict of interest).
SUPERVISION_RECENT_INSPECTION_DAYS = env_int("SUPERVISION_RECENT_INSPECTION_DAYS", 365, minimum=0)
# Working days a rectification order gives the entity (责令整改期限).
SUPERVISION_RECTIFICATION_DAYS = env_int("SUPERVISION_RECTIFICATION_DAYS", 15, minimum=1)
# Working days from filing (立案) within which a penalty case must be decided (行政处罚法 §60: 90 days).
SUPERVISION_PENALTY_DAYS = env_int("SUPERVISION_PENALTY_DAYS", 90, minimum=1)
# Working days after the notice (告知) in which the party may ask for a hearing (§64: 5 days).
SUPERVISION_HEARING_REQUEST_DAYS = env_int("SUPERVISION_HEARING_REQUEST_DAYS", 5, minimum=1)
# Working days after the decision within which it must be served (§61: 7 days).
SUPERVISION_SERVICE_DAYS = env_int("SUPERVISION_SERVICE_DAYS", 7, minimum=1)
# Days a penalty decision stays published (行政处罚信息公示期).
SUPERVISION_PENALTY_PUBLICITY_DAYS = env_int("SUPERVISION_PENALTY_PUBLICITY_DAYS", 365, minimum=90)
# Days a published random-inspection result stays public (抽查结果公示期); then it is removed from
# the public pages and API by the periodic task ``supervision.publicity_expire``.
SUPERVISION_RESULT_PUBLICITY_DAYS = env_int("SUPERVISION_RESULT_PUBLICITY_DAYS", 365, minimum=30)
# Seconds between two runs of that task (it also ends penalty decisions' publicity).
SUPERVISION_PUBLICITY_SCAN_SECONDS = env_int("SUPERVISION_PUBLICITY_SCAN_SECONDS", 3600, minimum=60)
# Largest hand-drawn signature accepted (PNG bytes).
SUPERVISION_SIGNATURE_MAX_BYTES = env_int("SUPERVISION_SIGNATURE_MAX_BYTES", 200 * 1024, minimum=1024)
# Requests per client address per minute to the public plan, population and record pages.
SUPERVISION_PUBLIC_RATE_PER_MINUTE = env_int("SUPERVISION_PUBLIC_RATE_PER_MINUTE", 60, minimum=1)
# Working days after the end of a month within which a platform's report for it must arrive.
SUPERVISION_PLATFORM_REPORT_DAYS = env_int("SUPERVISION_PLATFORM_REPORT_DAYS", 10, minimum=1)
# Largest platform report accepted (bytes) and rows per report.
SUPERVISION_PLATFORM_REPORT_MAX_BYTES = env_int(
    "SUPERVISION_PLATFORM_REPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024
)
SUPERVISION_PLATFORM_REPORT_MAX_ROWS = env_int("SUPERVISION_PLATFORM_REPORT_MAX_ROWS", 200_000, minimum=1)
