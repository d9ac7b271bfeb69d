from django.urls import path

from vigisante.clocks import api

urlpatterns = [
    path("reports/<int:pk>/clocks/", api.ReportClocksView.as_view(), name="report-clocks"),
]
