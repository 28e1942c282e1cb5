"""Django admin for planning periods and runs (plan and run on the allocation pages)."""

from __future__ import annotations

from django.contrib import admin

from kam.allocation.models import (
    AllocationRun,
    PeriodBoxPolicy,
    PeriodCapacity,
    PeriodFunctionCapacity,
    PlanningPeriod,
    ResponseJudgement,
)


class PeriodCapacityInline(admin.TabularInline):
    model = PeriodCapacity
    extra = 0


class PeriodBoxPolicyInline(admin.TabularInline):
    model = PeriodBoxPolicy
    extra = 0


class PeriodFunctionCapacityInline(admin.TabularInline):
    model = PeriodFunctionCapacity
    extra = 0


@admin.register(PlanningPeriod)
class PlanningPeriodAdmin(admin.ModelAdmin):
    """Periods with their copied capacities and box policies."""

    list_display = ("name", "start", "end", "status", "created_by")
    list_filter = ("status",)
    inlines = [PeriodCapacityInline, PeriodBoxPolicyInline, PeriodFunctionCapacityInline]


@admin.register(ResponseJudgement)
class ResponseJudgementAdmin(admin.ModelAdmin):
    """Judgements are checked against the response model on the judgements page; the admin
    is for reading them."""

    list_display = (
        "account",
        "period",
        "reference_hours",
        "contribution_at_zero",
        "contribution_at_reference",
        "contribution_at_150pct",
        "contribution_at_saturation",
        "entered_by",
        "updated_at",
    )
    list_filter = ("period",)
    search_fields = ("account__name",)
    readonly_fields = [f.name for f in ResponseJudgement._meta.fields]


@admin.register(AllocationRun)
class AllocationRunAdmin(admin.ModelAdmin):
    """Runs and their summaries (read only: a run is started on the period page)."""

    list_display = ("period", "status", "progress", "created_by", "created_at", "finished_at")
    list_filter = ("status", "period")
    readonly_fields = [f.name for f in AllocationRun._meta.fields]
