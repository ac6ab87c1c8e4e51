"""Settings of the cockpit module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf so they are declared and documented
(docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int, env_str

# How often the worker materializes the indicators incrementally (seconds).
COCKPIT_MATERIALIZE_INTERVAL_SECONDS = env_int("COCKPIT_MATERIALIZE_INTERVAL_SECONDS", 300, minimum=30)
# How many days back the first materialization of an indicator goes (a recompute can go further).
COCKPIT_HISTORY_DAYS = env_int("COCKPIT_HISTORY_DAYS", 400, minimum=1)
# Alerts compare each unit's value over this many days with the indicator's thresholds.
COCKPIT_ALERT_WINDOW_DAYS = env_int("COCKPIT_ALERT_WINDOW_DAYS", 7, minimum=1)
# A recomputation of history computes each indicator over this many days at a time (366: one pass
# over the raw rows per indicator and breakdown for a year; the incremental run uses 31).
COCKPIT_RECOMPUTE_CHUNK_DAYS = env_int("COCKPIT_RECOMPUTE_CHUNK_DAYS", 366, minimum=1)
# Wall mode (command-centre screen): how often the figures refresh without a reload (seconds).
COCKPIT_WALL_REFRESH_SECONDS = env_int("COCKPIT_WALL_REFRESH_SECONDS", 60, minimum=5)
# Live feeds: most messages in one HTTP push; largest clock difference of a message's time.
COCKPIT_FEED_MAX_BATCH = env_int("COCKPIT_FEED_MAX_BATCH", 500, minimum=1)
COCKPIT_FEED_MAX_SKEW_SECONDS = env_int("COCKPIT_FEED_MAX_SKEW_SECONDS", 3600, minimum=1)
# Live feeds over MQTT: messages are held this long (milliseconds) or until this many have arrived,
# then each feed's messages of the tick are ingested together (one transaction, one window upsert).
COCKPIT_FEED_FLUSH_MS = env_int("COCKPIT_FEED_FLUSH_MS", 200, minimum=10)
COCKPIT_FEED_FLUSH_PUSHES = env_int("COCKPIT_FEED_FLUSH_PUSHES", 2000, minimum=1)
# Live feeds over MQTT: the broker the `cockpit_mqtt` command subscribes to, and the topic filter.
COCKPIT_MQTT_HOST = env_str("COCKPIT_MQTT_HOST", "127.0.0.1")
COCKPIT_MQTT_PORT = env_int("COCKPIT_MQTT_PORT", 1883, minimum=1)
COCKPIT_MQTT_TOPIC = env_str("COCKPIT_MQTT_TOPIC", "zhengtong/feeds/+")
# Availability probes (platform.availability): addresses the worker GETs with every materialization
# run besides its own database and cache checks (comma-separated, e.g. the web server's
# http://127.0.0.1:8000/api/v1/health); a probe passes on 2xx within the timeout (seconds).
COCKPIT_PROBE_URLS = env_str("COCKPIT_PROBE_URLS", "")
COCKPIT_PROBE_TIMEOUT_SECONDS = env_int("COCKPIT_PROBE_TIMEOUT_SECONDS", 5, minimum=1)
