from django.urls import path

from kam.reports import views

app_name = "reports"
urlpatterns = [
    path("plans/<int:plan_id>/export.<str:fmt>", views.plan_export, name="plan_export"),
    path("portfolio/export.<str:fmt>", views.portfolio_export, name="portfolio_export"),
    path("portfolio/deck.<str:fmt>", views.portfolio_deck_prepare, name="portfolio_deck_prepare"),
    path("portfolio/deck/<int:job_id>/", views.portfolio_deck, name="portfolio_deck"),
]
