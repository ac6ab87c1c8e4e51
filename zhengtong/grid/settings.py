"""Settings of the grid module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int, env_str  # noqa: F401

# Photos of incidents: largest upload, largest decoded image (decompression-bomb guard).
GRID_PHOTO_MAX_BYTES = env_int("GRID_PHOTO_MAX_BYTES", 8 * 1024 * 1024, minimum=10_000)
GRID_PHOTO_MAX_PIXELS = env_int("GRID_PHOTO_MAX_PIXELS", 40_000_000, minimum=10_000)
# Duplicate detection: same category, within this distance and this window.
GRID_DUPLICATE_METRES = env_int("GRID_DUPLICATE_METRES", 50, minimum=1)
GRID_DUPLICATE_HOURS = env_int("GRID_DUPLICATE_HOURS", 72, minimum=1)
# Highest escalation: how many levels above the first handling level an incident may climb.
GRID_MAX_ESCALATION = env_int("GRID_MAX_ESCALATION", 2, minimum=0)
# How often the worker rebuilds the incident statistics and produces due reports (seconds).
GRID_STATS_INTERVAL_SECONDS = env_int("GRID_STATS_INTERVAL_SECONDS", 86400, minimum=60)
# Open311: the jurisdiction_id this installation answers to ("" accepts any).
GRID_OPEN311_JURISDICTION = env_str("GRID_OPEN311_JURISDICTION", "")
# Open311: POSTed service requests per minute per client address (the shared rate limiter).
GRID_OPEN311_POST_RATE_PER_MINUTE = env_int("GRID_OPEN311_POST_RATE_PER_MINUTE", 60, minimum=1)
# The Open311 discovery document (/open311/discovery.json): its changeset (when the endpoint
# last changed, ISO 8601) and the contact it names.
GRID_OPEN311_CHANGESET = env_str("GRID_OPEN311_CHANGESET", "2026-12-02T00:00:00Z")
GRID_OPEN311_CONTACT = env_str("GRID_OPEN311_CONTACT", "12345 政务服务便民热线")
