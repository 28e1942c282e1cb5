from django.urls import path

from kam.reports import views

app_name = "reports"
urlpatterns = [
    path("plans/<int:plan_id>/export.<str:fmt>", views.plan_export, name="plan_export"),
    path("portfolio/export.<str:fmt>", views.portfolio_export, name="portfolio_export"),
]
