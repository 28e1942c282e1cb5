"""URLs of the plan pages, under /plans/ (the customer's page too: /plans/shared/<token>/), app
namespace ``plans``: in kam/pages because a plan's page shows the conversations logged in
activities (docs/architecture.md, "The order of the packages")."""

from django.urls import path

from kam.pages import plans_views as views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_new, name="new"),
    path("overdue/", views.overdue, name="overdue"),
    path("templates/", views.templates_edit, name="templates"),
    path("account/<int:account_id>/", views.account_plans, name="account"),
    path("shared/<str:token>/", views.shared_plan, name="shared"),
    path("shared/<str:token>/actions/<str:action_uid>/", views.shared_plan, name="shared_action"),
    path("shared/<str:token>/language/", views.shared_language, name="shared_language"),
    path("shared/<str:token>/sign-off/", views.shared_sign_off, name="shared_sign_off"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/sections/", views.sections_edit, name="sections"),
    path("<int:pk>/section/<str:key>/", views.section_edit, name="section"),
    path("<int:pk>/items/new/<str:kind>/", views.item_edit, name="item_new"),
    path("<int:pk>/items/<int:item_id>/", views.item_edit, name="item_edit"),
    path("<int:pk>/actions/new/", views.action_edit, name="action_new"),
    path("<int:pk>/actions/<int:action_id>/", views.action_edit, name="action_edit"),
    path("<int:pk>/actions/<int:action_id>/track/", views.action_track, name="action_track"),
    path("<int:pk>/step/<str:step>/", views.plan_transition, name="transition"),
    path("<int:pk>/next/", views.plan_next, name="next"),
    path("<int:pk>/compare/", views.plan_compare_view, name="compare"),
    path("<int:pk>/share/", views.share_manage, name="share"),
]
