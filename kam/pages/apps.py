from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The pages that read several apps (the start page, the audit history, an account's
    timeline, customer groups rolled up): the top layer of docs/architecture.md. No models;
    an app so that its template tags load."""

    name = "kam.pages"
    label = "pages"
