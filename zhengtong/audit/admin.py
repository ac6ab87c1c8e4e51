from django.contrib import admin

from zhengtong.audit.models import AuditEvent
from zhengtong.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "occurred_at", "actor_label", "action", "target_type", "target_id", "org_unit_code")
    list_filter = ("action",)
    search_fields = ("target_id", "actor_label", "request_id")
