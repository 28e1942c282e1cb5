"""The account pages (app namespace ``accounts``): in kam/pages because the list and the
page show the box and the customer groups' P&L (docs/architecture.md, "The order of the
packages")."""

from django.urls import path

from kam.pages import accounts_views as views
from kam.pages import timeline_views as views_history

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_new, name="new"),
    path("import/", views.account_import_page, name="import"),
    path("import/template.csv", views.account_import_template_download, name="import_template"),
    path("export.<str:file_format>", views.account_export_download, name="export"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/history/", views_history.account_history, name="history"),
]
