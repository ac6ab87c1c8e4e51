"""Settings of the seals module (imported into zhengtong.settings; names are upper-case)."""

from zhengtong.conf import env_int, env_list, env_str

# Passphrase encrypting the seal and statement private keys at rest (empty: derived from SECRET_KEY).
SEALS_KEY_PASSPHRASE = env_str("SEALS_KEY_PASSPHRASE", "")
# TrueType fonts (with CJK glyphs) embedded in generated PDFs: the first file that exists is used.
SEALS_FONT_PATHS = env_list(
    "SEALS_FONT_PATHS",
    [
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
    ],
)
# Anonymous verifications (code look-ups and PDF uploads) per client address per minute.
SEALS_VERIFY_PER_MINUTE = env_int("SEALS_VERIFY_PER_MINUTE", 30, minimum=1)
# Largest PDF accepted on the public verification page.
SEALS_VERIFY_MAX_BYTES = env_int("SEALS_VERIFY_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
