"""Forms of the scheme and review pages.

They check shape only (a weight is a whole number, a date is a date); the method's rules
(3-7 criteria, weights summing to 100, anchors, unique keys) live in
``portfolio.services`` and ``kam.core.scoring``. Their problems come back as an
ApplicationError, which ``SchemeForm.add_problems`` places beside the fields they concern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import QueryDict
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kam.core.fact_scores import FACTS, LOWER_IS_BETTER, RuleMethod
from kam.errors import Problem
from kam.portfolio.models import Axis, Outlook, SchemeVersion
from kam.portfolio.review_selectors import rater_candidates
from kam.portfolio.services import CriterionInput, SchemeContent
from kam.web.widgets import IsoDateInput

AXIS_PREFIX: dict[str, str] = {Axis.ATTRACTIVENESS: "a", Axis.STRENGTH: "s"}
ROW_FIELDS = ("key", "name", "weight", "anchor_2", "anchor_5", "anchor_8")
#: the binding to an account fact (kam.core.fact_scores); a select always posts a value
FACT_FIELDS = ("fact", "fact_method", "fact_cuts", "fact_direction")
CUT_SPLIT = re.compile(r"\s*;\s*|,\s+|\s+")
KEY_PATTERN = re.compile(r"^[a-z0-9_-]{1,40}$")


@dataclass
class CriterionRow:
    """One criterion row of the scheme editor as typed, with the problems found in it."""

    axis: str
    key: str = ""
    name: str = ""
    weight: str = ""
    anchor_2: str = ""
    anchor_5: str = ""
    anchor_8: str = ""
    fact: str = ""
    fact_method: str = RuleMethod.PERCENTILES.value
    fact_cuts: str = ""
    fact_direction: str = "higher"
    errors: list[str] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return not any(getattr(self, f).strip() for f in ROW_FIELDS)

    def weight_int(self) -> int | None:
        text = self.weight.strip()
        return int(text) if re.fullmatch(r"\d{1,3}", text) else None

    def cuts(self) -> list[float] | None:
        """The cut points typed (``10; 20; 30`` or ``10 20 30``; a decimal comma is fine)."""
        text = self.fact_cuts.strip()
        if not text:
            return []
        try:
            return [float(t.replace(",", ".")) for t in CUT_SPLIT.split(text) if t]
        except ValueError:
            return None

    def fact_rule(self) -> dict[str, object]:
        if not self.fact:
            return {}
        return {
            "method": self.fact_method,
            "cuts": self.cuts() or [],
            "higher_is_better": self.fact_direction != "lower",
        }


def _rows_from_post(data: QueryDict, axis: str) -> list[CriterionRow]:
    prefix = AXIS_PREFIX[axis]
    columns = {f: data.getlist(f"{prefix}-{f}") for f in ROW_FIELDS + FACT_FIELDS}
    n = max((len(columns[f]) for f in ROW_FIELDS), default=0)

    def cell(name: str, i: int) -> str:
        typed = columns[name]
        return typed[i] if i < len(typed) else ""

    rows = []
    for i in range(n):
        row = CriterionRow(
            axis=axis,
            key=cell("key", i),
            name=cell("name", i),
            weight=cell("weight", i),
            anchor_2=cell("anchor_2", i),
            anchor_5=cell("anchor_5", i),
            anchor_8=cell("anchor_8", i),
            fact=cell("fact", i),
            fact_method=cell("fact_method", i) or RuleMethod.PERCENTILES.value,
            fact_cuts=cell("fact_cuts", i),
            fact_direction=cell("fact_direction", i) or "higher",
        )
        if not row.blank:
            rows.append(row)
    return rows


def _rows_from_content(content: SchemeContent, axis: str) -> list[CriterionRow]:
    return [
        CriterionRow(
            axis=axis,
            key=c.key,
            name=c.name,
            weight=str(c.weight),
            anchor_2=c.anchor_2,
            anchor_5=c.anchor_5,
            anchor_8=c.anchor_8,
            fact=c.fact,
            fact_method=str(c.fact_rule.get("method", RuleMethod.PERCENTILES.value)),
            fact_cuts="; ".join(f"{float(x):g}" for x in c.fact_rule.get("cuts", []) or []),  # type: ignore[attr-defined]
            fact_direction="higher" if c.fact_rule.get("higher_is_better", True) else "lower",
        )
        for c in content.criteria
        if c.axis == axis
    ]


class SchemeForm(forms.Form):
    """A scheme's content as one form: criteria rows per axis, competitors and cut lines.

    With ``creating`` it asks for the scheme's name and description (version 1); otherwise
    for a note on what changed (the next version).
    """

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    change_note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        required=False,
        help_text=_(
            "One line for the version history, e.g. 'growth weighted up after the strategy day'."
        ),
    )
    competitors = forms.CharField(
        label=_("Competitors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line. Raters can name which one was strongest on a criterion."),
    )
    attractiveness_cut = forms.DecimalField(
        label=_("Attractiveness cut"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("5.00"),
        help_text=_("A at or above this line is attractive (0-10; default 5.0)."),
    )
    strength_cut_relative = forms.DecimalField(
        label=_("Relative strength cut"),
        max_digits=6,
        decimal_places=3,
        initial=Decimal("1.000"),
        help_text=_("S_us / S_comp at or above this line is strong (1.0 = parity)."),
    )
    strength_cut_absolute = forms.DecimalField(
        label=_("Absolute strength cut"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("5.00"),
        help_text=_("Used when competitor scores are incomplete: S_us at or above is strong."),
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        creating: bool,
        content: SchemeContent | None = None,
        **kwargs: Any,
    ) -> None:
        initial = kwargs.pop("initial", {}) or {}
        if content is not None:
            initial = {
                "competitors": "\n".join(sorted(content.competitors)),
                "attractiveness_cut": content.attractiveness_cut,
                "strength_cut_relative": content.strength_cut_relative,
                "strength_cut_absolute": content.strength_cut_absolute,
                **initial,
            }
        super().__init__(data, initial=initial, **kwargs)
        self.creating = creating
        self.axis_errors: dict[str, list[str]] = {Axis.ATTRACTIVENESS: [], Axis.STRENGTH: []}
        self.problems: list[str] = []
        if creating:
            del self.fields["change_note"]
        else:
            del self.fields["name"]
            del self.fields["description"]
        if data is not None:
            self.rows = {axis: _rows_from_post(data, axis) for axis in AXIS_PREFIX}
        elif content is not None:
            self.rows = {axis: _rows_from_content(content, axis) for axis in AXIS_PREFIX}
        else:
            self.rows = {axis: [CriterionRow(axis=axis)] for axis in AXIS_PREFIX}

    @property
    def fact_choices(self) -> list[tuple[str, str]]:
        return fact_choices()

    @property
    def attractiveness_rows(self) -> list[CriterionRow]:
        return self.rows[Axis.ATTRACTIVENESS]

    @property
    def strength_rows(self) -> list[CriterionRow]:
        return self.rows[Axis.STRENGTH]

    def weight_total(self, axis: str) -> int:
        """Sum of the whole-number weights typed on ``axis`` (others count as 0)."""
        return sum(r.weight_int() or 0 for r in self.rows[axis])

    @property
    def attractiveness_total(self) -> int:
        return self.weight_total(Axis.ATTRACTIVENESS)

    @property
    def strength_total(self) -> int:
        return self.weight_total(Axis.STRENGTH)

    @property
    def all_problems(self) -> list[str]:
        """Every problem for the list at the top: rows, axes, the service's, other fields'."""
        out = list(self.problems)
        for name, errors in self.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            label = self.fields[name].label if name in self.fields else name
            out += [f"{label}: {e}" for e in errors if e not in out]
        return out

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        shape_problems = []
        for rows in self.rows.values():
            for row in rows:
                row.key = row.key.strip()
                if not row.key and row.name.strip():
                    row.key = slugify(row.name).replace("-", "_")[:40]
                if not KEY_PATTERN.match(row.key):
                    row.errors.append(
                        gettext(
                            "The key '%(key)s' may hold only small letters, digits, - and "
                            "_ (at most 40)."
                        )
                        % {"key": row.key}
                    )
                if row.weight_int() is None:
                    row.errors.append(
                        gettext("The weight of '%(name)s' must be a whole number, e.g. 20.")
                        % {"name": row.name or row.key}
                    )
                if row.fact and row.cuts() is None:
                    row.errors.append(
                        gettext(
                            "The cut points of '%(name)s' must be numbers, lowest first, e.g. "
                            "'10; 20; 30'."
                        )
                        % {"name": row.name or row.key}
                    )
                shape_problems += row.errors
        if shape_problems:
            self.problems += shape_problems
            raise forms.ValidationError(shape_problems)
        return cleaned

    def content(self) -> SchemeContent:
        """The content to save; call after ``is_valid()``."""
        data = self.cleaned_data
        return SchemeContent(
            criteria=[
                CriterionInput(
                    axis=row.axis,
                    key=row.key.strip(),
                    name=row.name.strip(),
                    weight=row.weight_int() or 0,
                    anchor_2=row.anchor_2.strip(),
                    anchor_5=row.anchor_5.strip(),
                    anchor_8=row.anchor_8.strip(),
                    fact=row.fact,
                    fact_rule=row.fact_rule(),
                )
                for axis in AXIS_PREFIX
                for row in self.rows[axis]
            ],
            competitors=[n.strip() for n in data.get("competitors", "").splitlines() if n.strip()],
            attractiveness_cut=data["attractiveness_cut"],
            strength_cut_relative=data["strength_cut_relative"],
            strength_cut_absolute=data["strength_cut_absolute"],
        )

    def add_problems(
        self,
        problems: Iterable[str],
        *,
        field_name: str | None = None,
        located: Iterable[Problem] = (),
    ) -> None:
        """Show the service's problems: all of them at the top, each also where it belongs.

        A problem about a criterion goes beside that row; one about an axis' weights or
        number of criteria beside that axis; one about a cut line beside that field.
        """
        located = list(located)
        if not located:
            located = [Problem(p, field=field_name) for p in problems]
        cut_fields = {
            "cut": "attractiveness_cut",
            "cut_relative": "strength_cut_relative",
            "cut_absolute": "strength_cut_absolute",
        }
        for problem in located:
            message = problem.message
            self.problems.append(message)
            if problem.field in cut_fields:
                self.add_error(cut_fields[problem.field], message)
                continue
            if problem.field and problem.field in self.fields:
                self.add_error(problem.field, message)
                continue
            placed = False
            if problem.key:
                for row in self.rows.get(problem.axis or "", []):
                    if row.key == problem.key:
                        row.errors.append(message)
                        placed = True
            if not placed and problem.axis in self.axis_errors:
                self.axis_errors[problem.axis].append(message)


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SchemeVersion) -> str:
        return gettext("%(scheme)s, version %(number)s (%(date)s)") % {
            "scheme": obj.scheme.name,
            "number": obj.number,
            "date": obj.created_at.date().isoformat(),
        }


class RaterChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.get_username()
        return f"{name} ({obj.profile.get_role_display()})"


class ReviewForm(forms.Form):
    """A new review: name, date, scheme version (latest versions first) and raters."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("For example 'Portfolio review spring 2026'."),
    )
    review_date = forms.DateField(
        label=_("Review date"),
        widget=IsoDateInput(),
        help_text=_("The day of the review meeting; the matrix shows movement between dates."),
    )
    scheme_version = VersionChoiceField(
        label=_("Scheme version"),
        queryset=SchemeVersion.objects.none(),
        empty_label=None,
    )
    raters = RaterChoiceField(
        label=_("Raters"),
        queryset=rater_candidates().none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each scores on their own; three raters who know the accounts work well."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        versions = SchemeVersion.objects.select_related("scheme").order_by(
            "-created_at", "-number", "-pk"
        )
        self.fields["scheme_version"].queryset = versions  # type: ignore[attr-defined]
        self.fields["raters"].queryset = rater_candidates()  # type: ignore[attr-defined]


def fact_choices() -> list[tuple[str, str]]:
    """The facts a criterion can be scored from, for the editor's select (blank: raters)."""
    return [("", gettext("Raters score it"))] + [
        (name, gettext(label)) for name, label in FACTS.items()
    ]


def lower_is_better_facts() -> list[str]:
    return sorted(LOWER_IS_BETTER)


_OUTLOOK_NUMBERS = [
    "potential_revenue",
    "expected_attractiveness",
    "expected_strength",
    "expected_competitor_strength",
]


class OutlookForm(forms.ModelForm):
    """An account's three-year outlook at one review: potential and expected position.

    Its numbers are localised (a text input with ``inputmode="decimal"``): a Dutch page shows
    and accepts "6,40", as the allocation's amounts do; a ``type="number"`` input would show
    the value as the browser's language writes it, whatever language kam speaks."""

    class Meta:
        model = Outlook
        fields = [*_OUTLOOK_NUMBERS, "note"]
        localized_fields = _OUTLOOK_NUMBERS
        widgets = {
            name: forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
            for name in _OUTLOOK_NUMBERS
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The potential is in the account's currency: its label says which.
        potential = self.fields["potential_revenue"]
        potential.label = f"{potential.label} ({self.instance.account.currency})"
