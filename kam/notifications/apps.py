from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kam.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from kam.notifications.receivers import connect

        connect()  # reviews and plans tell this app what to send (kam/notifications/receivers.py)
