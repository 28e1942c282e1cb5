from django.urls import path

from kam.portfolio import views

app_name = "portfolio"
urlpatterns = [
    path("", views.matrix, name="matrix"),
    path("reviews/", views.review_list, name="review_list"),
    path("schemes/", views.scheme_list, name="scheme_list"),
]
