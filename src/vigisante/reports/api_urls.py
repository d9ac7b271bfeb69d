"""Routes of the reports API, mounted under /api/v1/."""

from django.urls import path

from vigisante.reports import api

app_name = "reports-api"
urlpatterns = [
    path("reports/", api.ReportListCreate.as_view(), name="report-list"),
    path("reports/<int:pk>/", api.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<int:pk>/notification/", api.NotificationView.as_view(),
         name="report-notification"),
    path("reports/<int:pk>/final/", api.FinalView.as_view(), name="report-final"),
    path("reports/<int:pk>/updates/", api.UpdateListCreate.as_view(), name="report-updates"),
    path("reports/<int:pk>/attachments/", api.AttachmentListCreate.as_view(),
         name="report-attachments"),
    path("reports/<int:pk>/attachments/<int:aid>/", api.AttachmentDownload.as_view(),
         name="attachment-download"),
]
