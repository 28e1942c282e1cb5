from django.urls import path

from kam.notifications import views

app_name = "notifications"
urlpatterns = [
    path("preferences/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("reviews/<int:pk>/remind/", views.review_remind, name="review_remind"),
]
