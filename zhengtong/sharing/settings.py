"""Settings of the sharing module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf so they are declared and documented
(docs/configuration.md, section of this module).
"""

from zhengtong.conf import ConfigurationError, env_bool, env_int, env_list, env_str

# Working days the owner has to decide a sharing request, and to answer a data objection.
SHARING_DECISION_DAYS = env_int("SHARING_DECISION_DAYS", 5, minimum=1)
SHARING_OBJECTION_DAYS = env_int("SHARING_OBJECTION_DAYS", 5, minimum=1)
# Calls per minute a grant allows when its request names none, and the most a request may ask.
SHARING_DEFAULT_RATE_PER_MINUTE = env_int("SHARING_DEFAULT_RATE_PER_MINUTE", 600, minimum=1)
SHARING_MAX_RATE_PER_MINUTE = env_int("SHARING_MAX_RATE_PER_MINUTE", 60000, minimum=1)
# Longest grant, in days.
SHARING_MAX_GRANT_DAYS = env_int("SHARING_MAX_GRANT_DAYS", 1095, minimum=1)
# Exchange calls with an unknown or malformed key: allowed per client address per minute
# (the shared limiter; beyond it the caller gets 429 and nothing is written).
SHARING_BAD_KEY_PER_MINUTE = env_int("SHARING_BAD_KEY_PER_MINUTE", 30, minimum=1)
# Volume-spike alert: calls of a grant in the last hour above this many times its hourly
# average of the previous 7 days, and above the floor.
SHARING_SPIKE_FACTOR = env_int("SHARING_SPIKE_FACTOR", 5, minimum=2)
SHARING_SPIKE_FLOOR = env_int("SHARING_SPIKE_FLOOR", 100, minimum=1)
SHARING_ALERT_INTERVAL_SECONDS = env_int("SHARING_ALERT_INTERVAL_SECONDS", 3600, minimum=60)
# Services' materials checks read other departments' registry records only through a grant
# (verification mode) when True; when False they still go through a grant when one exists.
SHARING_SERVICES_REQUIRE_GRANT = env_bool("SHARING_SERVICES_REQUIRE_GRANT", False)
# This installation's name in receipts and in other installations' trust lists.
SHARING_INSTALLATION_ID = env_str("SHARING_INSTALLATION_ID", "zhengtong-local")
# Trust anchors: other installations as "id=https://base-url" (their keys are imported from
# <base-url>/seals/keys.json by `sharing_peers_refresh`).
SHARING_PEERS = env_list("SHARING_PEERS", [])
# Seconds a call to another installation may take.
SHARING_PEER_TIMEOUT_SECONDS = env_int("SHARING_PEER_TIMEOUT_SECONDS", 10, minimum=1)
# Batch extracts: the most rows one extract holds.
SHARING_BATCH_MAX_ROWS = env_int("SHARING_BATCH_MAX_ROWS", 100000, minimum=1)
# How often the worker looks for scheduled batch extracts that are due, in seconds.
SHARING_BATCH_SCAN_SECONDS = env_int("SHARING_BATCH_SCAN_SECONDS", 900, minimum=60)
# How exchange-log rows are written (docs/sharing.md): "group" (group commit through a
# per-process writer with its own PostgreSQL connection: one COPY and commit for the calls waiting,
# each call answered only after its row committed, rows kept when the caller's transaction rolls
# back), "inline" (saved in the caller's transaction), or "auto" (group on PostgreSQL outside tests).
SHARING_LOG_WRITE = env_str("SHARING_LOG_WRITE", "auto")
if SHARING_LOG_WRITE not in ("auto", "group", "inline"):
    raise ConfigurationError("SHARING_LOG_WRITE must be auto, group or inline")
# Longest a call waits for its log row to commit before it fails (503, nothing returned).
SHARING_LOG_WAIT_SECONDS = env_int("SHARING_LOG_WAIT_SECONDS", 5, minimum=1)
# Group commit: when the last commit carried several calls, the writer waits this many
# milliseconds for more before it writes (one commit for more calls; a lone call is not delayed).
SHARING_LOG_LINGER_MS = env_int("SHARING_LOG_LINGER_MS", 2, minimum=0)
