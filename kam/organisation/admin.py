"""Django admin for the organisation: its settings, box policies and exchange rates."""

from __future__ import annotations

from django.contrib import admin

from kam.organisation.models import BoxPolicy, ExchangeRate, Organisation


class BoxPolicyInline(admin.TabularInline):
    model = BoxPolicy
    extra = 0


class ExchangeRateInline(admin.TabularInline):
    model = ExchangeRate
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """The policies page (/policies/) is the usual place to change these; this is the fallback."""

    list_display = ("name", "base_currency", "max_key_accounts", "max_key_accounts_per_manager")
    inlines = (BoxPolicyInline, ExchangeRateInline)


@admin.register(BoxPolicy)
class BoxPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "box",
        "organisation",
        "min_hours_per_year",
        "max_hours_per_year",
        "review_cadence_months",
    )
    list_filter = ("box",)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("currency", "rate_to_base", "organisation")
    search_fields = ("currency",)
