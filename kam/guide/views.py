"""The method page (every topic in the order of docs/method.md) and the glossary."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template import RequestContext

from kam.guide.glossary import glossary_terms
from kam.guide.topics import SECTIONS, active_language, guidance_render
from kam.web.requests import AuthenticatedHttpRequest


@login_required
def method_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Sections 0–7 of the method, each with its topics' lead and body, all anchored."""
    context = RequestContext(request)
    sections = [
        {
            "section": section,
            "topics": [
                {"topic": t, "guidance": guidance_render(topic=t.key, context=context)}
                for t in section.topics
            ],
        }
        for section in SECTIONS
    ]
    return render(request, "guide/method.html", {"sections": sections})


@login_required
def glossary_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The terms of the method and of kam, alphabetical in the active language."""
    return render(request, "guide/glossary.html", {"terms": glossary_terms(active_language())})
