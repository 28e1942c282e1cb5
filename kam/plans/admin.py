"""Django admin for account plans (write and share them on the plan pages, which apply the
who-may rules; the admin is for administrators who need to look underneath)."""

from __future__ import annotations

from django.contrib import admin

from kam.plans.models import (
    ActionComment,
    Plan,
    PlanAction,
    PlanItem,
    PlanTemplate,
    PlanVersion,
    ShareAccess,
    ShareLink,
)


class PlanItemInline(admin.TabularInline):
    model = PlanItem
    extra = 0
    fields = ("kind", "title", "shared", "position")


class PlanActionInline(admin.TabularInline):
    model = PlanAction
    extra = 0
    fields = (
        "what",
        "owner_side",
        "owner_user",
        "owner_contact_name",
        "due_date",
        "status",
        "shared",
    )
    raw_id_fields = ("owner_user", "objective")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Plans with their items and actions."""

    list_display = ("account", "period_label", "status", "version_number", "updated_at")
    list_filter = ("status", "period_label")
    search_fields = ("account__name", "account__external_id")
    raw_id_fields = ("account", "previous", "created_by")
    inlines = (PlanItemInline, PlanActionInline)


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    """Approved versions: frozen, so read-only here."""

    list_display = ("plan", "number", "approved_by_name", "approved_at")
    readonly_fields = (
        "plan",
        "number",
        "snapshot",
        "content",
        "approved_by",
        "approved_by_name",
        "approved_at",
        "note",
    )

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    """Share links (only the digest is stored; tokens cannot be shown again)."""

    list_display = (
        "person_name",
        "person_email",
        "plan",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    readonly_fields = ("lookup", "digest", "created_at", "last_used_at")
    raw_id_fields = ("plan", "created_by")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(ShareAccess)
class ShareAccessAdmin(admin.ModelAdmin):
    """The log of every use of a share link; nobody edits a log."""

    list_display = ("at", "link", "kind", "ip", "detail")
    list_filter = ("kind",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


admin.site.register(PlanTemplate)
admin.site.register(ActionComment)
