from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "kam.plans"
    label = "plans"
    verbose_name = _("Account plans")

    def ready(self) -> None:
        from kam.plans.selectors import plan_markers
        from kam.relationships.sources import plans_register

        plans_register(plan_markers=plan_markers)  # the relationship stage reads them
