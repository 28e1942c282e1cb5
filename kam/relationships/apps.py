from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationshipsConfig(AppConfig):
    name = "kam.relationships"
    label = "relationships"
    verbose_name = _("Relationships")

    def ready(self) -> None:
        from kam.relationships.findings_store import connect

        connect()  # the findings store follows its inputs (kam/relationships/findings_store.py)
