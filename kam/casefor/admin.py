"""Django admin for business case assessments (read them; record new ones on the page)."""

from __future__ import annotations

from django.contrib import admin

from kam.casefor.models import Assessment


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    """The questionnaire at /business-case/new/ is the place to record one."""

    list_display = ("assessed_on", "organisation", "created_by", "managers", "team_hours_per_year")
    date_hierarchy = "assessed_on"
    readonly_fields = ("created_at",)
