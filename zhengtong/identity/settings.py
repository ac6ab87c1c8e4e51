"""Settings of the identity centre (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf so they are declared and documented
(docs/configuration.md, section "Identity and authorization centre").
"""

import os

from zhengtong.conf import env_int, env_str
from zhengtong.settings import HTTPS

# The issuer identifier (``iss``): the site root, e.g. https://id.example.gov.cn. Empty: taken from
# each request's scheme and host (development and tests); set it in production.
IDENTITY_ISSUER = env_str("IDENTITY_ISSUER", "")
# Lifetimes: authorization codes (seconds), access and ID tokens (seconds), refresh tokens (days).
IDENTITY_CODE_SECONDS = env_int("IDENTITY_CODE_SECONDS", 300, minimum=30)
IDENTITY_ACCESS_TOKEN_SECONDS = env_int("IDENTITY_ACCESS_TOKEN_SECONDS", 900, minimum=60)
IDENTITY_ID_TOKEN_SECONDS = env_int("IDENTITY_ID_TOKEN_SECONDS", 900, minimum=60)
IDENTITY_REFRESH_TOKEN_DAYS = env_int("IDENTITY_REFRESH_TOKEN_DAYS", 30, minimum=1)
# Signing keys (ES256 and RS256) are replaced after this many days; the old key stays published
# until every token it signed has expired.
IDENTITY_KEY_ROTATION_DAYS = env_int("IDENTITY_KEY_ROTATION_DAYS", 90, minimum=1)
# Passphrase that encrypts the private signing keys at rest (empty: derived from SECRET_KEY).
IDENTITY_KEY_PASSPHRASE = env_str("IDENTITY_KEY_PASSPHRASE", "")
# Key of the pairwise subject identifiers (empty: derived from SECRET_KEY). Changing it changes
# every pairwise ``sub``.
IDENTITY_PAIRWISE_KEY = env_str("IDENTITY_PAIRWISE_KEY", "")
# Failed client authentications and refused token requests per client address in 10 minutes.
IDENTITY_FAILURES_PER_ADDRESS = env_int("IDENTITY_FAILURES_PER_ADDRESS", 100, minimum=1)

# Authlib refuses plain http unless told otherwise: allowed only where the site itself runs
# without HTTPS (development and tests, ZHENGTONG_HTTPS off); production is HTTPS.
if not HTTPS:
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
