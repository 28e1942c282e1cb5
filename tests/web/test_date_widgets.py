"""One rule for date inputs: every date field of every kam form renders and reads ISO.

A browser's ``<input type="date">`` accepts only ``YYYY-MM-DD``; Django's plain
``DateInput`` renders the active language's format (``07-12-2026`` in Dutch), which the
browser shows as an empty field, so saving erased the date. This test imports every kam
module, walks every form class there is (forms, model forms, the forms of formsets, and
the classes the plan factories build for each section and item kind) and fails when a
date field uses another widget than :class:`kam.web.widgets.IsoDateInput`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil

import pytest
from django import forms
from django.utils import translation

import kam
from kam.web.widgets import IsoDateInput


def _all_form_classes() -> set[type[forms.BaseForm]]:
    for info in pkgutil.walk_packages(kam.__path__, "kam."):
        if ".migrations" in info.name or info.name.startswith("kam.core"):
            continue
        importlib.import_module(info.name)
    # forms the views build from factories, for every key the factories take
    from kam.plans.forms import SECTION_FIELDS, item_form_class, section_form_class
    from kam.plans.models import ITEM_FIELDS

    built = [section_form_class(key) for key in SECTION_FIELDS]
    built += [item_form_class(kind) for kind in ITEM_FIELDS]
    found: set[type[forms.BaseForm]] = set()
    todo: list[type] = [forms.BaseForm, forms.BaseFormSet, *built]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
        if issubclass(cls, forms.BaseFormSet) and hasattr(cls, "form"):
            todo.append(cls.form)
        elif issubclass(cls, forms.BaseForm) and cls.__module__.startswith("kam."):
            found.add(cls)
    return found


FORMS = sorted(_all_form_classes(), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_the_walk_sees_the_forms_that_lost_their_dates():
    names = {f"{c.__module__}.{c.__qualname__}" for c in FORMS}
    for expected in [
        "kam.plans.forms.ActionForm",
        "kam.plans.forms.PlanNewForm",
        "kam.activities.forms.ActivityForm",
        "kam.portfolio.forms.ReviewForm",
    ]:
        assert expected in names
    assert any("due_date" in c.base_fields for c in FORMS if c.__module__ == "kam.plans.forms"), (
        "the plan factories' item forms carry a due date"
    )
    assert len(FORMS) > 10


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_date_field_uses_the_iso_date_input(form_class):  # type: ignore[no-untyped-def]
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.DateTimeField | forms.TimeField | forms.SplitDateTimeField):
            pytest.fail(f"{form_class.__qualname__}.{name}: no ISO widget for times yet")
        if isinstance(field, forms.DateField) and not isinstance(field.widget, forms.HiddenInput):
            assert isinstance(field.widget, IsoDateInput), (
                f"{form_class.__qualname__}.{name} uses {type(field.widget).__name__}: "
                "use kam.web.widgets.IsoDateInput"
            )


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_iso_date_input_renders_and_reads_iso_in_every_language(language):  # type: ignore[no-untyped-def]
    class F(forms.Form):
        day = forms.DateField(widget=IsoDateInput())

    with translation.override(language):
        html = str(F(initial={"day": dt.date(2026, 12, 7)})["day"])
        assert 'type="date"' in html
        assert 'value="2026-12-07"' in html
        bound = F(data={"day": "2026-12-07"})
        assert bound.is_valid(), bound.errors
        assert bound.cleaned_data["day"] == dt.date(2026, 12, 7)
