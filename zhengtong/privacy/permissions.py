"""Permissions of the privacy module (registered when the app is ready)."""

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions

register_permissions({"privacy.use": _("Use the PII scanner and column classification")})
extend_role("data_officer", {"privacy.use"})
