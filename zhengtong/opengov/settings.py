"""Settings of the opengov module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf so they are declared and documented
(docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int

# 政府信息公开条例 §33: a request is answered within 20 working days, extendable once by 20.
OPENGOV_REPLY_DAYS = env_int("OPENGOV_REPLY_DAYS", 20, minimum=1)
OPENGOV_EXTENSION_DAYS = env_int("OPENGOV_EXTENSION_DAYS", 20, minimum=1)
# §30: an unclear request is sent back for correction within 7 working days of its receipt.
OPENGOV_CORRECTION_NOTICE_DAYS = env_int("OPENGOV_CORRECTION_NOTICE_DAYS", 7, minimum=1)
# §32: a third party whose interests are affected answers within 15 working days.
OPENGOV_THIRD_PARTY_DAYS = env_int("OPENGOV_THIRD_PARTY_DAYS", 15, minimum=1)
# Requests one citizen may file per day (spam guard).
OPENGOV_REQUESTS_PER_DAY = env_int("OPENGOV_REQUESTS_PER_DAY", 10, minimum=1)
# Largest document attached to a reply (bytes).
OPENGOV_ATTACHMENT_MAX_BYTES = env_int("OPENGOV_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Characters of a document's body that go into the full-text index (title and number always do).
OPENGOV_SEARCH_BODY_CHARS = env_int("OPENGOV_SEARCH_BODY_CHARS", 5000, minimum=100)
# 双公示: licensing decisions are published within 7 working days, and shown this many days.
OPENGOV_PUBLICITY_WORKING_DAYS = env_int("OPENGOV_PUBLICITY_WORKING_DAYS", 7, minimum=1)
OPENGOV_LICENSING_PUBLICITY_DAYS = env_int("OPENGOV_LICENSING_PUBLICITY_DAYS", 365 * 3, minimum=1)
# 领导信箱: working days a department has to answer a letter.
OPENGOV_MAILBOX_DAYS = env_int("OPENGOV_MAILBOX_DAYS", 15, minimum=1)
# Comments one citizen may post per consultation and day.
OPENGOV_COMMENTS_PER_DAY = env_int("OPENGOV_COMMENTS_PER_DAY", 20, minimum=1)
