"""Django admin for relationships (the pages at /relationships/ apply the who-may rules)."""

from __future__ import annotations

from django.contrib import admin

from kam.relationships.models import (
    AccountRelationship,
    CalendarImport,
    Contact,
    ContactLink,
    ErasureRecord,
)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """The customer's people; erase a person's data on the relationship page, not here."""

    list_display = ("number", "name", "title", "account", "attitude", "influence", "has_left")
    list_filter = ("attitude", "seniority", "has_left")
    search_fields = ("name", "title", "email", "account__name")
    raw_id_fields = ("account", "reports_to", "owner")


@admin.register(ContactLink)
class ContactLinkAdmin(admin.ModelAdmin):
    """Links entered by hand."""

    list_display = ("contact", "user", "strength", "meetings_per_year", "last_met")
    raw_id_fields = ("contact", "user", "updated_by")


@admin.register(AccountRelationship)
class AccountRelationshipAdmin(admin.ModelAdmin):
    """Inferred and chosen stage, and how the customer files us."""

    list_display = ("account", "inferred_stage", "chosen_stage", "customer_view")
    raw_id_fields = ("account", "chosen_by", "customer_view_by")


@admin.register(ErasureRecord)
class ErasureRecordAdmin(admin.ModelAdmin):
    """The audit of erasures (read only)."""

    list_display = ("account", "contact_number", "erased_by", "erased_at", "activities_kept")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(CalendarImport)
class CalendarImportAdmin(admin.ModelAdmin):
    """Uploaded calendar files and what their last run did."""

    list_display = ("filename", "uploaded_by", "period_start", "period_end", "last_run_at")
    exclude = ("content",)
