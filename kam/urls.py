"""URL map: pages per app, the API under /api/, sign-in (password, reset, OpenID), language."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from kam.api import api
from kam.pages import views as web_views
from kam.users import oidc
from kam.users import views as user_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("alerts/", web_views.alerts, name="alerts"),
    path("login/", user_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", user_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        user_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("oidc/authenticate/", oidc.OidcStartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.OidcCallbackView.as_view(), name="oidc_authentication_callback"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("vendor/vega.js", web_views.vega_bundle, name="vega_bundle"),
    path("api/", api.urls),
    path("accounts/", include("kam.pages.accounts_urls")),
    path("portfolio/", include("kam.portfolio.urls")),
    path("policies/", include("kam.organisation.urls")),
    path("business-case/", include("kam.casefor.urls")),
    path("allocation/", include("kam.allocation.urls")),
    path("activities/", include("kam.activities.urls")),
    path("relationships/", include("kam.pages.relationships_urls")),
    path("reports/", include("kam.reports.urls")),
    path("plans/", include("kam.pages.plans_urls")),
    path("economics/", include("kam.economics.urls")),
    path("method/", include("kam.guide.urls")),
    path("me/", include("kam.users.urls")),
    path("notifications/", include("kam.notifications.urls")),
    path("jobs/", include("kam.jobs.urls")),
    path("history/", include("kam.pages.urls")),
    path("admin/", admin.site.urls),
]

# Django's own 403 and 404 pages look like every other error page (kam/web/page_errors.py).
handler403 = "kam.web.page_errors.permission_denied"
handler404 = "kam.web.page_errors.page_not_found"
