"""Read-only admin views of the catalogue (changes go through the services, which audit them)."""

from django.contrib import admin

from zhengtong.catalog.models import (
    DataApplication,
    DataResource,
    LoadJob,
    ResourceVersion,
    UsageDaily,
)
from zhengtong.core.admin import ReadOnlyAdmin


@admin.register(DataResource)
class DataResourceAdmin(ReadOnlyAdmin):
    list_display = ("name", "title", "department", "state", "openness", "grade", "modified_at")
    list_filter = ("state", "openness", "grade", "domain")
    search_fields = ("name", "title")
    exclude = ("search_text",)


@admin.register(ResourceVersion)
class ResourceVersionAdmin(ReadOnlyAdmin):
    list_display = ("resource", "number", "row_count", "source_format", "created_at")


@admin.register(LoadJob)
class LoadJobAdmin(ReadOnlyAdmin):
    list_display = ("resource", "file_name", "mode", "state", "progress", "row_count", "created_at")
    list_filter = ("state", "mode")


@admin.register(UsageDaily)
class UsageDailyAdmin(ReadOnlyAdmin):
    list_display = ("resource", "day", "views", "downloads", "api_calls")


@admin.register(DataApplication)
class DataApplicationAdmin(ReadOnlyAdmin):
    list_display = ("resource", "applicant", "state", "valid_until", "created_at")
    list_filter = ("state",)
