from django.urls import path

from kam.economics import views

app_name = "economics"

urlpatterns = [
    path("", views.portfolio_page, name="portfolio"),
    path("accounts/<int:account_id>/", views.account_page, name="account"),
    path("accounts/<int:account_id>/costs/", views.cost_item_add, name="cost_add"),
    path("costs/<int:item_id>/delete/", views.cost_item_remove, name="cost_delete"),
    path("accounts/<int:account_id>/investments/", views.investment_add, name="investment_add"),
    path(
        "investments/<int:investment_id>/delete/",
        views.investment_remove,
        name="investment_delete",
    ),
    path("accounts/<int:account_id>/spend/", views.spend_save, name="spend"),
    path("import/", views.import_transactions, name="import"),
    path("import/<int:job_id>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:job_id>/", views.import_report, name="import_report"),
    path("import/spend/", views.import_spend, name="import_spend"),
    path("import/source-remove/", views.import_source_remove, name="import_source_remove"),
    path("import/costs/", views.import_costs, name="import_costs"),
]
