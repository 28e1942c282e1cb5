from django.urls import path

from kam.allocation import views

app_name = "allocation"
urlpatterns = [
    path("", views.period_list_page, name="periods"),
    path("<int:period_id>/", views.period_page, name="period"),
    path("<int:period_id>/run/", views.run_start_view, name="run_start"),
    path("<int:period_id>/judgements/", views.judgements_page, name="judgements"),
    path("<int:period_id>/judgements/save/", views.judgement_save_view, name="judgement_save"),
    path("<int:period_id>/judgements/sketch/", views.judgement_sketch, name="judgement_sketch"),
    path("runs/<int:run_id>/", views.run_page, name="run"),
    path("runs/<int:run_id>/progress/", views.run_progress, name="run_progress"),
    path("runs/<int:run_id>/curve/<int:account_id>.json", views.run_curve, name="run_curve"),
    path("runs/<int:run_id>/what-if.json", views.run_what_if, name="run_what_if"),
]
