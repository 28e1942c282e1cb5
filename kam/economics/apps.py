from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EconomicsConfig(AppConfig):
    name = "kam.economics"
    label = "economics"
    verbose_name = _("Economics")

    def ready(self) -> None:
        from kam.economics.ledger_store import connect

        connect()  # the stored P&L follows its inputs (kam/economics/ledger_store.py)
