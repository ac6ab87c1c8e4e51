from django.contrib import admin

from zhengtong.accounts.models import Credential, Department, OrgUnit, RoleGrant, User
from zhengtong.core.admin import ReadOnlyAdmin


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "depth", "is_active")
    list_filter = ("level",)
    search_fields = ("code", "name")


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "org_unit", "kind")
    search_fields = ("name", "org_unit__code")


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = (
        "username",
        "kind",
        "display_name",
        "org_unit",
        "is_real_name",
        "totp_enabled",
        "is_active",
    )
    list_filter = ("kind", "is_real_name", "totp_enabled")
    search_fields = ("username", "display_name")
    exclude = ("password", "totp_secret", "resident_id")


@admin.register(RoleGrant)
class RoleGrantAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "org_unit", "department", "granted_at", "revoked_at")
    list_filter = ("role",)


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "owner", "org_unit", "prefix", "scopes", "expires_at", "revoked_at")
    list_filter = ("kind",)
    exclude = ("digest",)
