"""The one flow of an import page: check the upload, run the import, show what happened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kam.errors import ApplicationError
from kam.imports.problems import ImportRefused


def import_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    run: Callable[[bytes, str, Any], Any],
    template: str,
) -> HttpResponse:
    """Render ``template`` with the form and, after a valid upload,
    ``run(content, filename, decimal)``'s summary (``decimal``: the form's decimal separator
    field, None when blank or absent), or the row/column/reason report of a refused file
    (422: nothing was written), or the message of another broken rule (with its status).
    """
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            decimal = form.cleaned_data.get("decimal") or None
            summary = run(upload.read(), upload.name, decimal)
        except ImportRefused as exc:
            context.update(report=exc.report, filename=upload.name)
            status = 422
        except ApplicationError as exc:
            context.update(error=exc.message, filename=upload.name)
            status = exc.status
        else:
            context.update(summary=summary, filename=upload.name)
    return render(request, template, context, status=status)
