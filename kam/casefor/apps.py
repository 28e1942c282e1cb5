from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseforConfig(AppConfig):
    name = "kam.casefor"
    label = "casefor"
    verbose_name = _("Business case")
