"""Settings of the data sandbox (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf so they are declared and documented
(docs/configuration.md, section "Data sandbox").
"""

from zhengtong.conf import env_int, env_str

# Disclosure control: a cell about fewer persons or entities than this is withheld (projects may
# set a higher threshold, never a lower one).
SANDBOX_MIN_CELL = env_int("SANDBOX_MIN_CELL", 10, minimum=2)
# Counts in released outputs are rounded to the nearest multiple of this.
SANDBOX_ROUND_TO = env_int("SANDBOX_ROUND_TO", 5, minimum=1)
# Dominance rule for sums and averages, in percent: a cell whose largest contributor makes up more
# than TOP1 % of the total, or whose two largest more than TOP2 %, is suppressed.
SANDBOX_DOMINANCE_TOP1 = env_int("SANDBOX_DOMINANCE_TOP1", 50, minimum=1)
SANDBOX_DOMINANCE_TOP2 = env_int("SANDBOX_DOMINANCE_TOP2", 85, minimum=1)
# Most cells (output rows) one job may produce; more looks like an export of records.
SANDBOX_MAX_CELLS = env_int("SANDBOX_MAX_CELLS", 1000, minimum=1)
# Rows of schema-true synthetic data generated per dataset of a project.
SANDBOX_SYNTHETIC_ROWS = env_int("SANDBOX_SYNTHETIC_ROWS", 500, minimum=10)
# Limits of one job on the raw data (the isolated worker process of the datastore's SQL sandbox).
SANDBOX_JOB_TIMEOUT_S = env_int("SANDBOX_JOB_TIMEOUT_S", 30, minimum=1)
SANDBOX_JOB_MEMORY_LIMIT = env_str("SANDBOX_JOB_MEMORY_LIMIT", "1GB")
SANDBOX_JOB_THREADS = env_int("SANDBOX_JOB_THREADS", 2, minimum=1)
# Jobs one project may submit per hour (the shared rate limiter).
SANDBOX_JOBS_PER_HOUR = env_int("SANDBOX_JOBS_PER_HOUR", 60, minimum=1)
# Working days the owner department and the data security officer have to decide a project.
SANDBOX_APPROVAL_DAYS = env_int("SANDBOX_APPROVAL_DAYS", 5, minimum=1)
# Longest project period in days.
SANDBOX_MAX_PROJECT_DAYS = env_int("SANDBOX_MAX_PROJECT_DAYS", 366, minimum=1)
# How often the worker expires projects past their period and deletes their workspaces (seconds).
SANDBOX_EXPIRY_INTERVAL_SECONDS = env_int("SANDBOX_EXPIRY_INTERVAL_SECONDS", 3600, minimum=60)
