from django.contrib import admin

from kam.notifications.models import CustomerUpdate, Preferences, Sent


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "invitations", "reminders", "digest", "customer_updates"]


@admin.register(Sent)
class SentAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "user", "kind", "key", "to", "subject"]
    list_filter = ["kind"]


@admin.register(CustomerUpdate)
class CustomerUpdateAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "person_name", "action", "sent_at"]
