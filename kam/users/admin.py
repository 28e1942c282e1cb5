"""Django admin for people: users with their kam profile inline, and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from kam.users.models import ApiToken, Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("role", "function", "hours_per_year", "hourly_cost")


class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):  # type: ignore[misc]
    """Django's user admin with the kam role, function and capacity on the same page.

    Its "History" button lists every change of the user (simple-history); kam's own page
    ``/history/user/<id>/`` shows the user's and their role's changes together.
    """

    inlines = (ProfileInline,)
    list_display = ("username", "first_name", "last_name", "email", "role", "is_active")
    list_select_related = ("profile",)
    list_filter = (*DjangoUserAdmin.list_filter, "profile__role")

    @admin.display(
        description=Profile._meta.get_field("role").verbose_name, ordering="profile__role"
    )
    def role(self, obj: Any) -> str:
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else ""

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # A new user gets its profile from the post_save signal; an inline on the add page
        # would try to create a second one. The profile is edited after the first save.
        if obj is None:
            return []
        return super().get_inline_instances(request, obj)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserAdmin)


@admin.register(Profile)
class ProfileAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ("user", "role", "function", "hours_per_year", "hourly_cost")
    list_filter = ("role", "function")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by their owner on the tokens page; here an administrator can revoke."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("user", "name", "prefix", "digest", "created_at", "last_used_at")
    fields = ("user", "name", "prefix", "digest", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
