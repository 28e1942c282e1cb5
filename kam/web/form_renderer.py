"""The one way kam renders a form (docs/architecture.md, "The rules").

``{{ form }}`` draws every field with ``web/forms/form.html`` and ``{{ field.as_field_group }}``
one field with ``web/forms/field.html``: label, help text, widget and errors in kam's markup.
Set once as ``FORM_RENDERER``, so no template writes a field's label and errors by hand.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates


class FormRenderer(DjangoTemplates):
    """Django's template renderer with kam's form and field templates."""

    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"
