from django.contrib import admin

from zhengtong.core.admin import ReadOnlyAdmin
from zhengtong.registry.models import (
    CorrectionRequest,
    EntityAuthorization,
    LegalEntity,
    Licence,
    LicenceType,
    Person,
)


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "sex", "org_unit", "is_alive")
    exclude = ("resident_id", "phone")  # never shown in clear outside the services that need them


@admin.register(LegalEntity)
class LegalEntityAdmin(ReadOnlyAdmin):
    list_display = ("name", "uscc", "entity_type", "region_code", "status")
    list_filter = ("status",)
    search_fields = ("uscc", "name")
    exclude = ("legal_rep_resident_id",)


@admin.register(LicenceType)
class LicenceTypeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "holder_kind", "validity_years")


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = ("licence_type", "number", "state", "org_unit", "valid_from", "valid_to")
    list_filter = ("licence_type", "state")


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "field", "state", "sla_state", "sla_deadline", "org_unit")
    list_filter = ("state", "sla_state")


@admin.register(EntityAuthorization)
class EntityAuthorizationAdmin(ReadOnlyAdmin):
    list_display = ("entity", "grantee", "granted_by", "valid_until", "revoked_at", "created_at")
    list_filter = ("revoked_at",)
