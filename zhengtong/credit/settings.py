"""Settings of the credit module (imported into zhengtong.settings; names are upper-case)."""

from zhengtong.conf import env_int, env_str

# Working days a credit office has to decide a credit repair request (信用修复).
CREDIT_REPAIR_DAYS = env_int("CREDIT_REPAIR_DAYS", 10, minimum=1)
# Years of history that count in the credit evaluation (penalties, inspections, complaints).
CREDIT_LOOKBACK_YEARS = env_int("CREDIT_LOOKBACK_YEARS", 3, minimum=1)
# Credit report look-ups and repair requests per client address per minute (anonymous pages).
CREDIT_PUBLIC_RATE_PER_MINUTE = env_int("CREDIT_PUBLIC_RATE_PER_MINUTE", 60, minimum=1)
# The department that issues and seals credit reports, as "<org unit code>/<department code>".
CREDIT_REPORT_DEPARTMENT = env_str("CREDIT_REPORT_DEPARTMENT", "330000/dsj")
# Credit reports an entity's representative may have issued per day.
CREDIT_REPORTS_PER_DAY = env_int("CREDIT_REPORTS_PER_DAY", 5, minimum=1)
# Processes the nightly set-based re-scoring runs its chunks in on PostgreSQL (1: this one only;
# 2: a fork shares the chunks, each with its own database connection).
CREDIT_RESCORE_PROCESSES = env_int("CREDIT_RESCORE_PROCESSES", 2, minimum=1)
