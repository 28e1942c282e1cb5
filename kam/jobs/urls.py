from django.urls import path

from kam.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:job_id>/cancel/", views.job_cancel_view, name="cancel"),
    path("<int:job_id>/retry/", views.job_retry_view, name="retry"),
    path("<int:job_id>/download/", views.job_download, name="download"),
]
