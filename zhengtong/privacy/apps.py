from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from zhengtong.core.nav import register_nav


class PrivacyConfig(AppConfig):
    name = "zhengtong.privacy"
    label = "privacy"
    verbose_name = _("Classification, grading and desensitization")
    api_prefix = "/privacy"

    def ready(self) -> None:
        # Lazy: privacy.permissions registers with accounts' role registry, loaded with the apps.
        from zhengtong.privacy import permissions  # noqa: F401  (registers permissions and roles)

        register_nav("console", "privacy:scanner", _("PII scanner"), permission="privacy.use")
