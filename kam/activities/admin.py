"""Django admin for activities (log and import them on the activity pages)."""

from __future__ import annotations

from django.contrib import admin

from kam.activities.models import Activity, ActivityParticipant


class ActivityParticipantInline(admin.TabularInline):
    """Our people who took part."""

    model = ActivityParticipant
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """Activities with their participants; the pages at /activities/ apply who-may rules."""

    list_display = ("date", "account", "type", "duration_minutes", "topic", "created_by")
    list_filter = ("type",)
    date_hierarchy = "date"
    search_fields = ("topic", "account__name", "account__external_id", "external_uid")
    raw_id_fields = ("account", "created_by")
    readonly_fields = ("created_at", "updated_at")
    inlines = (ActivityParticipantInline,)
