"""Numbers a user types or an API client sends: refused with the field named when no
column of kam's database can hold them (docs/import.md, Limits).

An integer beyond 64 bits (``99999999999999999999``), ``1e400`` (infinite as a float),
``NaN`` and ``Infinity`` used to reach the database and answer 500. Two global checks
close that for every form and every API body, so that no form field or schema can be
forgotten:

- forms: every ``IntegerField``, ``DecimalField`` and ``FloatField`` of Django's forms gets
  ``number_in_range`` as a default validator (installed by ``kam.web``'s app config);
  the form shows the message beside the field. Fields with their own bounds keep them;
  model integer fields also keep the database's range validators.
- API: the JSON parser (``CheckedParser``) reads every number of a body and refuses a
  non-finite one or one beyond the range, answering 422 with the field's place
  (``rows[3].score``), before a schema or a view sees it.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.parser import Parser

from kam.imports.numbers import LARGEST

#: The largest whole number a database column of kam holds (a 64-bit integer).
INT_MAX = 2**63 - 1


def _too_large_message() -> str:
    return _(
        "%(value)s is out of range: kam accepts whole numbers up to %(int)s and other "
        "numbers below %(largest)s (not NaN or Infinity)."
    )


def number_in_range(value: Any) -> None:
    """Validator: ``value`` fits in kam's database (see the module docstring)."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        ok = -INT_MAX <= value <= INT_MAX
    elif isinstance(value, float):
        ok = math.isfinite(value) and abs(value) < LARGEST
    elif isinstance(value, Decimal):
        ok = value.is_finite() and abs(value) < LARGEST
    else:
        return
    if not ok:
        raise ValidationError(
            _too_large_message(),
            code="out_of_range",
            params={"value": str(value)[:40], "int": f"{INT_MAX:,}", "largest": f"{LARGEST:,f}"},
        )


def install_form_validators() -> None:
    """Give Django's numeric form fields ``number_in_range`` as a default validator (once)."""
    for field_class in (forms.IntegerField, forms.DecimalField, forms.FloatField):
        validators = list(field_class.default_validators)
        if number_in_range not in validators:
            field_class.default_validators = [*validators, number_in_range]


class NumberOutOfRange(ValueError):
    """A number in a JSON body that kam refuses: where (``place``) and its text."""

    def __init__(self, place: str, text: str) -> None:
        super().__init__(f"{place}: {text}")
        self.place, self.text = place, text

    @property
    def message(self) -> str:
        reason = _too_large_message() % {
            "value": self.text[:40],
            "int": f"{INT_MAX:,}",
            "largest": f"{LARGEST:,f}",
        }
        return f"{self.place}: {reason}" if self.place else reason


class _Refused:
    """A number's text kept for the message (``1e400``, ``NaN``, a 5,000-digit integer)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _int(text: str) -> int | _Refused:
    if len(text.lstrip("-")) > 19:  # beyond 64 bits, or beyond Python's digit limit
        return _Refused(text)
    value = int(text)
    return value if -INT_MAX <= value <= INT_MAX else _Refused(text)


def _float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) and abs(value) < LARGEST else _Refused(text)


def _place(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _first_refused(data: Any, path: tuple[str | int, ...] = ()) -> NumberOutOfRange | None:
    if isinstance(data, _Refused):
        return NumberOutOfRange(_place(path), data.text)
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        found = _first_refused(value, (*path, key))
        if found is not None:
            return found
    return None


def json_checked(body: bytes | str) -> Any:
    """``body`` parsed as JSON, or ``NumberOutOfRange`` for its first refused number."""
    data = json.loads(body, parse_int=_int, parse_float=_float, parse_constant=_Refused)
    refused = _first_refused(data)
    if refused is not None:
        raise refused
    return data


class CheckedParser(Parser):
    """django-ninja's JSON parser with ``json_checked``: ninja turns the error into an
    ``HttpError`` whose cause is the ``NumberOutOfRange`` (kam/api.py answers 422)."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json_checked(request.body)
