"""Settings of the services module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int, env_list, env_str

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
# Days after a 差评 within which its department may contest it as malicious (申诉复核).
SERVICES_RATING_CONTEST_DAYS = env_int("SERVICES_RATING_CONTEST_DAYS", 7, minimum=1)
# The public address of the portal (scheme and host, e.g. https://zwfw.example.gov.cn), put in
# front of links sent by SMS (rating invitations); empty: the links are paths.
SERVICES_PUBLIC_URL = env_str("SERVICES_PUBLIC_URL", "")
# 告知承诺制: working days after the decision within which the department verifies (核查) the
# commitments a case was decided on.
SERVICES_COMMITMENT_CHECK_DAYS = env_int("SERVICES_COMMITMENT_CHECK_DAYS", 20, minimum=1)
# Minutes after a counter intake during which the counter's device may take the applicant's
# on-site rating of the counter service (一次一评).
SERVICES_COUNTER_RATING_MINUTES = env_int("SERVICES_COUNTER_RATING_MINUTES", 30, minimum=1)
# Largest drawn signature (PNG) a counter stores with an applicant's confirmation (bytes).
SERVICES_SIGNATURE_MAX_BYTES = env_int("SERVICES_SIGNATURE_MAX_BYTES", 200 * 1024, minimum=1024)

# 亮证: how long a shown e-licence code verifies (seconds).
SERVICES_PRESENTATION_SECONDS = env_int("SERVICES_PRESENTATION_SECONDS", 180, minimum=30)
# Consented use of an e-licence by a third party: the longest consent a holder may give (days).
SERVICES_CONSENT_MAX_DAYS = env_int("SERVICES_CONSENT_MAX_DAYS", 365, minimum=1)
