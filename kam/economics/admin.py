from django.contrib import admin

from kam.economics.models import AccountFacts


@admin.register(AccountFacts)
class AccountFactsAdmin(admin.ModelAdmin):
    list_display = ("account", "as_of", "revenue_12m", "growth", "gross_margin_pct", "orders")
    list_filter = ("as_of",)
    search_fields = ("account__name", "account__external_id")
