from django.urls import path

from kam.casefor import views

app_name = "casefor"
urlpatterns = [
    path("", views.case_latest, name="case"),
    path("assessments/", views.assessment_list_page, name="list"),
    path("new/", views.assessment_new, name="create"),
    path("<int:assessment_id>/", views.case_detail, name="detail"),
    path("<int:assessment_id>/pdf/", views.case_pdf, name="pdf"),
]
