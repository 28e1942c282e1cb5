from django.urls import path

from kam.portfolio import views_matrix, views_outlook, views_reviews, views_schemes

app_name = "portfolio"
urlpatterns = [
    path("", views_matrix.matrix, name="matrix"),
    path("matrix/data.json", views_matrix.matrix_data, name="matrix_data"),
    path("matrix/table/", views_matrix.matrix_table, name="matrix_table"),
    path("matrix/export.<str:fmt>", views_matrix.matrix_export, name="matrix_export"),
    path("schemes/", views_schemes.scheme_list, name="scheme_list"),
    path("schemes/new/", views_schemes.scheme_create, name="scheme_create"),
    path("schemes/<int:pk>/", views_schemes.scheme_detail, name="scheme_detail"),
    path("schemes/<int:pk>/edit/", views_schemes.scheme_edit, name="scheme_edit"),
    path("reviews/", views_reviews.review_list, name="review_list"),
    path("reviews/new/", views_reviews.review_create, name="review_create"),
    path("reviews/<int:pk>/", views_reviews.review_detail, name="review_detail"),
    path("reviews/<int:pk>/score/", views_reviews.review_score, name="review_score"),
    path("reviews/<int:pk>/close/", views_reviews.review_close, name="review_close"),
    path("reviews/<int:pk>/cancel/", views_reviews.review_cancel, name="review_cancel"),
    path("reviews/<int:pk>/derive/", views_reviews.review_derive, name="review_derive"),
    path(
        "reviews/<int:review_id>/outlook/<int:account_id>/",
        views_outlook.outlook_edit,
        name="outlook_edit",
    ),
]
