from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kam.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from kam.activities import hours_store
        from kam.activities.conversations import conversation_grid
        from kam.activities.models import Activity, ActivityParticipant
        from kam.activities.selectors import meetings_of_accounts
        from kam.plans import sources as plan_sources
        from kam.relationships import findings_store
        from kam.relationships import sources as relationship_sources

        plan_sources.activities_register(grid=conversation_grid)  # a plan's document shows it
        # the relationship analysis reads the meetings, and its findings follow them
        relationship_sources.activities_register(meetings=meetings_of_accounts)
        hours_store.connect()  # the actual-time page's stored sums follow the activities
        findings_store.inputs_connect(
            models=(Activity, ActivityParticipant), m2m=(Activity.contacts.through,)
        )
