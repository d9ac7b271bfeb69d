"""Pages of "are we affected?" (reporters and staff)."""

from django.urls import path

from vigisante.indicators import affected_views

app_name = "affected"
urlpatterns = [
    path("", affected_views.check, name="check"),
    path("report/", affected_views.report, name="report"),
]
