from django.urls import path

from kam.guide import views

app_name = "guide"
urlpatterns = [
    path("", views.method_page, name="method"),
    path("glossary/", views.glossary_page, name="glossary"),
]
