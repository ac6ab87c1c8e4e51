"""Settings of the credit module (imported into zhengtong.settings; names are upper-case)."""

from zhengtong.conf import env_int

# Working days a credit office has to decide a credit repair request (信用修复).
CREDIT_REPAIR_DAYS = env_int("CREDIT_REPAIR_DAYS", 10, minimum=1)
# Years of history that count in the credit evaluation (penalties, inspections, complaints).
CREDIT_LOOKBACK_YEARS = env_int("CREDIT_LOOKBACK_YEARS", 3, minimum=1)
# Credit report look-ups and repair requests per client address per minute (anonymous pages).
CREDIT_PUBLIC_RATE_PER_MINUTE = env_int("CREDIT_PUBLIC_RATE_PER_MINUTE", 60, minimum=1)
