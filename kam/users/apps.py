from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "kam.users"
    label = "users"
    verbose_name = _("People and access")

    def ready(self) -> None:
        from kam.users import signals  # noqa: F401  (connects the profile signal)
