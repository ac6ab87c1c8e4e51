"""Settings of the services module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int, env_list

# Largest material an applicant may upload (bytes).
SERVICES_UPLOAD_MAX_BYTES = env_int("SERVICES_UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Working days a department gets to rectify a bad rating (差评整改).
SERVICES_RECTIFICATION_DAYS = env_int("SERVICES_RECTIFICATION_DAYS", 10, minimum=1)
# Days after completion during which the applicant may rate a case (一事一评).
SERVICES_RATING_WINDOW_DAYS = env_int("SERVICES_RATING_WINDOW_DAYS", 30, minimum=1)
# Seconds a process keeps a published service item (its rules, department and org unit) between
# reads; a change reaches other processes within this time (0: read every time).
SERVICES_ITEM_CACHE_SECONDS = env_int("SERVICES_ITEM_CACHE_SECONDS", 10, minimum=0)
# Public 办件查询 (case look-up by number and check value): look-ups per client address a minute,
# and wrong check values per case number an hour before that number is locked for the hour.
SERVICES_TRACK_PER_MINUTE = env_int("SERVICES_TRACK_PER_MINUTE", 30, minimum=1)
SERVICES_TRACK_FAILURES_PER_NUMBER = env_int("SERVICES_TRACK_FAILURES_PER_NUMBER", 5, minimum=1)
# Outward channels besides the inbox on which applicants hear of each step of their case
# (comma-separated: sms, email; empty: the inbox only).
SERVICES_CASE_CHANNELS = env_list("SERVICES_CASE_CHANNELS", ["sms"])
# 行政许可法 §32: working days after an application (or its correction) arrives within which the
# counter may still ask for a correction; later it counts as accepted.
SERVICES_CORRECTION_NOTICE_DAYS = env_int("SERVICES_CORRECTION_NOTICE_DAYS", 5, minimum=1)

# 亮证: how long a shown e-licence code verifies (seconds).
SERVICES_PRESENTATION_SECONDS = env_int("SERVICES_PRESENTATION_SECONDS", 180, minimum=30)
# Consented use of an e-licence by a third party: the longest consent a holder may give (days).
SERVICES_CONSENT_MAX_DAYS = env_int("SERVICES_CONSENT_MAX_DAYS", 365, minimum=1)
