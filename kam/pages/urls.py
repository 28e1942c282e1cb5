"""The audit history: an object's changes, and all changes for administrators (docs/history.md)."""

from django.urls import path

from kam.pages import views

app_name = "history"

urlpatterns = [
    path("", views.history_all, name="all"),
    path("export.<str:file_format>", views.history_all_export, name="export"),
    path("<str:kind>/<int:pk>/", views.history_object, name="object"),
    path(
        "<str:kind>/<int:pk>/export.<str:file_format>",
        views.history_object_export,
        name="object_export",
    ),
]
