from django.urls import path

from vigisante.authorities import views

app_name = "authorities"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("transmissions/", views.oversee, name="oversee"),
    path("reports/<int:report_id>/", views.report, name="report"),
    path("reports/<int:report_id>/hold/", views.hold, name="hold"),
    path("reports/<int:report_id>/release/", views.release, name="release"),
    path("reports/<int:report_id>/message/", views.message, name="message"),
]
