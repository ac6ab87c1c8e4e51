"""Settings of the codes module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int, env_list, env_str
from zhengtong.settings import VAR_DIR

# This installation's region (GB/T 2260 code) and name, as written into codes and trust lists.
CODES_REGION_CODE = env_str("CODES_REGION_CODE", "330000")
CODES_REGION_NAME = env_str("CODES_REGION_NAME", "浙江省")
CODES_PREFIX = env_str("CODES_PREFIX", "ZT1:")
CODES_EXPIRY_HOURS = env_int("CODES_EXPIRY_HOURS", 24, minimum=1)
CODES_MAX_DECOMPRESSED_BYTES = env_int("CODES_MAX_DECOMPRESSED_BYTES", 4096, minimum=256)
# Issuance records are deleted this many days after they expire (verifiers keep only counts).
CODES_RETENTION_DAYS = env_int("CODES_RETENTION_DAYS", 14, minimum=0)
# Passphrase that encrypts private signing keys at rest (empty: derived from SECRET_KEY).
CODES_KEY_PASSPHRASE = env_str("CODES_KEY_PASSPHRASE", "")
CODES_TRUSTLIST_VALID_DAYS = env_int("CODES_TRUSTLIST_VALID_DAYS", 7, minimum=1)
# Public verification API: requests per minute per client address.
CODES_VERIFY_RATE_PER_MINUTE = env_int("CODES_VERIFY_RATE_PER_MINUTE", 600, minimum=1)
# Risk level thresholds (published on the map page): new cases in 14 days for levels 5/4/3/2.
CODES_RISK_THRESHOLDS = env_list("CODES_RISK_THRESHOLDS", ["50", "10", "1", "1"])
# Resumption: a day's use above this share (percent) of the baseline daily average.
CODES_RESUMPTION_PERCENT = env_int("CODES_RESUMPTION_PERCENT", 30, minimum=1)
CODES_DIR = VAR_DIR / "codes"
