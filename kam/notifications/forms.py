from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kam.notifications.models import PREFERENCE_FIELDS, Preferences


class PreferencesForm(forms.ModelForm):
    """Each kind of e-mail on or off, and the language of the e-mails."""

    class Meta:
        model = Preferences
        fields = ["language", *PREFERENCE_FIELDS.values()]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        default = dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE)
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            ("", _("As kam is set up (%(language)s)") % {"language": default}),
            *settings.LANGUAGES,
        ]
