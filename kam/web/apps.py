from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "kam.web"
    label = "web"
    verbose_name = _("Web")

    def ready(self) -> None:
        # every numeric form field refuses what no column can hold (kam/web/numbers.py)
        from kam.web.numbers import install_form_validators

        install_form_validators()
