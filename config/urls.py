from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from postloan import home as home_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("partners.urls")),
    path("", include("risk.urls")),
    path("", include("origination.urls")),
    path("", include("servicing.urls")),
    path("", include("accounting.urls")),
    path("", include("corebank.urls")),
    path("", include("distribution.urls")),
    path("", include("campaigns.urls")),
    path("", include("network.urls")),
    path("", include("postloan.urls")),
    path("dashboards/", include("postloan.dashboards.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start-up script served as a file of its own (?script): the page needs no inline script
    # and runs under the site's Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's): not a 404 in the log.
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg", permanent=True)),
]

# Error pages in the site's layout; ``{code, detail}`` JSON under /api/ (see core/error_pages.py).
handler400 = "core.error_pages.bad_request"
handler403 = "core.error_pages.permission_denied"
handler404 = "core.error_pages.page_not_found"
handler500 = "core.error_pages.server_error"
