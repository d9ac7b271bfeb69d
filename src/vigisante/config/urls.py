"""Root URL configuration: each app mounts its own urls module."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

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
    path("api/v1/", include("vigisante.config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # GET only: its HTML renderer has no page for OPTIONS (a 500 before)
    path("api/docs/", SpectacularSwaggerView.as_view(
        url_name="schema", http_method_names=["get", "head"]), name="api-docs"),
    path("admin/", admin.site.urls),
]
