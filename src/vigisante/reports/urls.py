"""Pages of the staged report (the JSON API lives in api_urls.py)."""

from django.urls import path

from vigisante.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.my_reports, name="my_reports"),
    path("new/", views.early_warning, name="early_warning"),
    path("incoming/", views.incoming, name="incoming"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/received/", views.acknowledgement, name="acknowledgement"),
    path("<int:pk>/notification/", views.notification, name="notification"),
    path("<int:pk>/final/", views.final, name="final"),
    path("<int:pk>/updates/", views.add_update, name="add_update"),
    path("<int:pk>/attachments/", views.add_attachment, name="add_attachment"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.download_attachment,
         name="download_attachment"),
]
