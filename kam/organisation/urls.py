from django.urls import path

from kam.organisation import views

app_name = "organisation"
urlpatterns = [path("", views.settings_page, name="settings")]
