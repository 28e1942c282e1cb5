from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EconomicsConfig(AppConfig):
    name = "kam.economics"
    label = "economics"
    verbose_name = _("Economics")

    def ready(self) -> None:
        from kam.economics.figures import (
            account_figures,
            planned_hours_by_person,
            revenue_amounts_of_year,
            revenues_of_year,
        )
        from kam.economics.ledger_store import connect
        from kam.economics.selectors import account_fact_values
        from kam.plans.sources import economics_register
        from kam.portfolio.sources import sources_register

        connect()  # the stored P&L follows its inputs (kam/economics/ledger_store.py)
        # the portfolio reads the facts and the revenue through kam/portfolio/sources.py
        sources_register(facts=account_fact_values, revenues=revenue_amounts_of_year)
        # a plan's document shows the figures through kam/plans/sources.py
        economics_register(
            figures=account_figures, revenues=revenues_of_year, hours=planned_hours_by_person
        )
