"""URLs of the activity pages, under /activities/."""

from django.urls import path

from kam.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_new, name="new"),
    path("contacts/", views.contact_picker, name="contact_picker"),
    path("contacts/new/", views.contact_new, name="contact_new"),
    path("import/", views.activity_import_page, name="import"),
    path("import/template.csv", views.activity_import_template_download, name="import_template"),
    path("actual-time/", views.actual_time, name="actual_time"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/delete/", views.activity_delete_page, name="delete"),
]
