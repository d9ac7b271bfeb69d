"""Root URL configuration: each app mounts its own urls module."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from vigisante.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("vigisante.accounts.urls")),
    path("reports/", include("vigisante.reports.urls")),
    path("triage/", include("vigisante.triage.urls")),
    path("observatory/", include("vigisante.observatory.urls")),
    path("notifications/", include("vigisante.notifications.urls")),
    path("indicators/", include("vigisante.indicators.urls")),
    path("affected/", include("vigisante.indicators.affected_urls")),
    path("alerts/", include("vigisante.sharing.urls")),
    path("reports/<int:pk>/drafts/", include("vigisante.drafts.urls")),
    path("authorities/", include("vigisante.authorities.urls")),
    path("api/v1/", include("vigisante.config.api_urls")),
    path("taxii2/", include("vigisante.taxii.urls")),
    path("feeds/", include("vigisante.taxii.feed_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # GET only: its HTML renderer has no page for OPTIONS (a 500 before). Log in first; the
    # split view serves its start-up script as a file (no inline script under the CSP).
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(
        url_name="schema", template_name="api/swagger_ui.html",
        http_method_names=["get", "head"])), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "vigisante.core.errors.bad_request"
handler403 = "vigisante.core.errors.permission_denied"
handler404 = "vigisante.core.errors.not_found"
handler500 = "vigisante.core.errors.server_error"
