from django.contrib import admin

from zhengtong.core.models import CalendarDay, OutboxMessage, TimelineEntry
from zhengtong.core.services import calendar_day_set


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse only: writes go through the service functions (and so the audit trail)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note", "updated_at")
    list_filter = ("is_workday",)
    ordering = ("-date",)

    def save_model(self, request, obj, form, change):
        saved = calendar_day_set(actor=request.user, date=obj.date, is_workday=obj.is_workday, note=obj.note)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "object_type", "object_id", "transition", "from_state", "to_state", "actor_label")
    list_filter = ("object_type", "transition")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "topic", "key", "state", "attempts", "next_attempt_at", "last_error", "created_at")
    list_filter = ("state", "topic")
    search_fields = ("key",)
    date_hierarchy = "created_at"
