"""Settings of the workorders module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int

# Working-day time limits per kind (12345 practice: 咨询 2, 求助/建议 10, 投诉/举报 15).
WORKORDERS_DAYS_CONSULTATION = env_int("WORKORDERS_DAYS_CONSULTATION", 2, minimum=1)
WORKORDERS_DAYS_HELP = env_int("WORKORDERS_DAYS_HELP", 10, minimum=1)
WORKORDERS_DAYS_SUGGESTION = env_int("WORKORDERS_DAYS_SUGGESTION", 10, minimum=1)
WORKORDERS_DAYS_COMPLAINT = env_int("WORKORDERS_DAYS_COMPLAINT", 15, minimum=1)
WORKORDERS_DAYS_REPORT = env_int("WORKORDERS_DAYS_REPORT", 15, minimum=1)
WORKORDERS_DAYS_RECTIFICATION = env_int("WORKORDERS_DAYS_RECTIFICATION", 10, minimum=1)
# A citizen may submit at most this many work orders per day (spam guard).
WORKORDERS_MAX_PER_DAY = env_int("WORKORDERS_MAX_PER_DAY", 20, minimum=1)
# At the call-back (回访), a satisfaction at or below this (1 very dissatisfied … 5 very satisfied)
# is 不满意 and reopens the work order.
WORKORDERS_DISSATISFIED_MAX = env_int("WORKORDERS_DISSATISFIED_MAX", 2, minimum=0)
