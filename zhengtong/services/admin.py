from django.contrib import admin

from zhengtong.services.models import Bundle, Case, Rating, ServiceItem, ServiceItemVersion


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "kind", "visits", "is_published")
    list_filter = ("kind", "visits", "is_published")
    search_fields = ("code", "name")
    raw_id_fields = ("current_version",)


@admin.register(ServiceItemVersion)
class ServiceItemVersionAdmin(admin.ModelAdmin):
    list_display = ("item", "number", "promised_days", "fee_fen", "created_at")
    raw_id_fields = ("item",)

    def has_change_permission(self, request, obj=None):
        return False  # versions are immutable: publish a new one (services.item_publish)


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "life_event")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the workflow (timeline and audit trail)."""

    list_display = ("number", "item", "department", "state", "sla_state", "sla_deadline")
    list_filter = ("state", "sla_state")
    search_fields = ("number",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("case", "score", "state", "department")
    list_filter = ("score", "state")

    def has_change_permission(self, request, obj=None):
        return False
