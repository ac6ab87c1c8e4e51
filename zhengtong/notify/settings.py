"""Settings of the notify module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int, env_str
from zhengtong.settings import VAR_DIR

# Django's email backend: a file per message under var/mail locally; SMTP in production.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@zhengtong.invalid")

# SMS gateway: a dotted path to a zhengtong.notify.sms.SmsBackend subclass.
NOTIFY_SMS_BACKEND = env_str("NOTIFY_SMS_BACKEND", "zhengtong.notify.sms.FileSmsBackend")
NOTIFY_SMS_DIR = env_str("NOTIFY_SMS_DIR", str(VAR_DIR / "sms"))
NOTIFY_SMS_PER_NUMBER_PER_HOUR = env_int("NOTIFY_SMS_PER_NUMBER_PER_HOUR", 5, minimum=1)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 60, minimum=1)
