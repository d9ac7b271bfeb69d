"""Pages of the staged report (the JSON API lives in api_urls.py)."""

from django.urls import path
from django.views.generic import RedirectView

from vigisante.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.my_reports, name="my_reports"),
    path("new/", views.early_warning, name="early_warning"),
    # The analysts' one list is triage's queue (issue 10): old bookmarks of the former
    # "incoming reports" page land there with their filters.
    path("incoming/", RedirectView.as_view(pattern_name="triage:queue", permanent=True,
                                           query_string=True), name="incoming"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/received/", views.acknowledgement, name="acknowledgement"),
    path("<int:pk>/notification/", views.notification, name="notification"),
    path("<int:pk>/final/", views.final, name="final"),
    path("<int:pk>/updates/", views.add_update, name="add_update"),
    path("<int:pk>/attachments/", views.add_attachment, name="add_attachment"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.download_attachment,
         name="download_attachment"),
]
