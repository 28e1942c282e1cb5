"""A broken rule shown beside the form field it concerns (docs/architecture.md, rule 4)."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from kam.errors import ApplicationError


def add_application_error(
    form: forms.BaseForm,
    error: ApplicationError,
    *,
    fields: Mapping[str, str | None] | None = None,
    every_problem: bool = False,
) -> None:
    """Show ``error`` on ``form``: each located problem beside its field, else the message
    beside ``error.field`` (each of ``error.problems`` when ``every_problem``).

    ``fields`` maps a service's field name to the form's (None: not a field of the form);
    a field the form does not have makes the message a non-field error, shown on top.
    """

    def target(name: str | None) -> str | None:
        if name is not None and fields is not None:
            name = fields.get(name, name)
        return name if name is not None and name in form.fields else None

    if error.located:
        for problem in error.located:
            form.add_error(target(problem.field), problem.message)
        return
    for message in error.problems if every_problem else [error.message]:
        form.add_error(target(error.field), message)
