from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuideConfig(AppConfig):
    """The method inside kam: guidance on every page, the method page and the glossary."""

    name = "kam.guide"
    label = "guide"
    verbose_name = _("The method")
