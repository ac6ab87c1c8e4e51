"""Settings of the payments module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_bool, env_int, env_secret, env_str
from zhengtong.settings import PRODUCTION, VAR_DIR

# The payment provider used for new payments ("local": the built-in simulated provider).
PAYMENTS_PROVIDER = env_str("PAYMENTS_PROVIDER", "local")
# Shared secret of the local provider's callback signatures (HMAC-SHA256).
PAYMENTS_LOCAL_SECRET = env_secret("PAYMENTS_LOCAL_SECRET", var_dir=VAR_DIR, production=PRODUCTION)
# Where the local provider posts its callbacks; empty: delivered in-process to the same handler.
PAYMENTS_LOCAL_CALLBACK_URL = env_str("PAYMENTS_LOCAL_CALLBACK_URL", "")
# The local provider sends every notification twice (as real providers sometimes do).
PAYMENTS_LOCAL_DUPLICATES = env_bool("PAYMENTS_LOCAL_DUPLICATES", True)
PAYMENTS_CALLBACK_WINDOW_SECONDS = env_int("PAYMENTS_CALLBACK_WINDOW_SECONDS", 300, minimum=10)
# Callback requests per minute per client address (anonymous endpoint; providers send far fewer).
PAYMENTS_CALLBACK_RATE_PER_MINUTE = env_int("PAYMENTS_CALLBACK_RATE_PER_MINUTE", 600, minimum=1)
PAYMENTS_CALLBACK_MAX_ATTEMPTS = env_int("PAYMENTS_CALLBACK_MAX_ATTEMPTS", 8, minimum=1)
PAYMENTS_CALLBACK_RETRY_BASE_SECONDS = env_int("PAYMENTS_CALLBACK_RETRY_BASE_SECONDS", 15, minimum=1)
PAYMENTS_STATEMENT_DIR = env_str("PAYMENTS_STATEMENT_DIR", str(VAR_DIR / "payments" / "statements"))
