from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kam.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from kam.activities.conversations import conversation_grid
        from kam.plans.sources import activities_register

        activities_register(grid=conversation_grid)  # a plan's document shows the grid
