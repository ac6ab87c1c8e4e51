"""Settings of the datause module (imported into zhengtong.settings; names are upper-case)."""

from zhengtong.conf import env_int
from zhengtong.settings import TESTING

# Working days a department has to answer a data request, and a publisher an error report.
DATAUSE_REQUEST_DAYS = env_int("DATAUSE_REQUEST_DAYS", 10, minimum=1)
DATAUSE_ERROR_REPORT_DAYS = env_int("DATAUSE_ERROR_REPORT_DAYS", 5, minimum=1)
# Anonymous reads of the public lists and pages, per client address and minute.
DATAUSE_ANON_RATE_PER_MINUTE = env_int("DATAUSE_ANON_RATE_PER_MINUTE", 100_000 if TESTING else 120, minimum=1)
# Writes (requests, reports, messages, ratings, reuses, supports) per signed-in user and hour.
DATAUSE_WRITES_PER_HOUR = env_int("DATAUSE_WRITES_PER_HOUR", 30, minimum=1)
# How often the quality and timeliness scan runs (seconds).
DATAUSE_SCAN_SECONDS = env_int("DATAUSE_SCAN_SECONDS", 3600, minimum=60)
