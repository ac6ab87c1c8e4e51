"""Settings of the privacy module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int, env_str

# Key of the keyed pseudonyms (HMAC-SHA256) written into desensitized tables. Empty: PSEUDONYM_KEY
# is used. Changing it changes every pseudonym (joins across releases break), so set it once.
PRIVACY_PSEUDONYM_KEY = env_str("PRIVACY_PSEUDONYM_KEY", "")
# Longest text the PII scanner API accepts (characters).
PRIVACY_SCAN_MAX_CHARS = env_int("PRIVACY_SCAN_MAX_CHARS", 100_000, minimum=1)
