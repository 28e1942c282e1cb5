"""The relationship pages (app namespace ``relationships``): in kam/pages because they show
findings computed from activities and plans, and the calendar import that creates activities
(docs/architecture.md, "The order of the packages")."""

from django.urls import path

from kam.pages import relationships_views as views

app_name = "relationships"
urlpatterns = [
    path("", views.findings_list, name="findings"),
    path("account/<int:pk>/", views.account_page, name="account"),
    path("account/<int:pk>/do/<str:action>/", views.account_action, name="action"),
    path("account/<int:pk>/orgchart/", views.orgchart_page, name="orgchart"),
    path("account/<int:pk>/orgchart.<str:file_format>", views.orgchart_file, name="orgchart_file"),
    path("account/<int:pk>/contacts/new/", views.contact_new, name="contact_new"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/export.json", views.contact_export, name="contact_export"),
    path("contacts/<int:contact_id>/erase/", views.contact_erase, name="contact_erase"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/<int:import_id>/", views.calendar_detail, name="calendar_detail"),
]
