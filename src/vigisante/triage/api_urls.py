"""Routes of the triage API, mounted under /api/v1/."""

from django.urls import path

from vigisante.triage import api

app_name = "triage-api"
urlpatterns = [
    path("triage/cases/", api.QueueView.as_view(), name="queue"),
    path("triage/cases/acknowledge/", api.BulkAcknowledgeView.as_view(),
         name="bulk-acknowledge"),
    path("triage/cases/<int:report_id>/", api.CaseView.as_view(), name="case"),
    path("triage/cases/<int:report_id>/qualify/", api.QualifyView.as_view(), name="qualify"),
    path("triage/cases/<int:report_id>/transition/", api.TransitionView.as_view(),
         name="transition"),
    path("triage/cases/<int:report_id>/assign/", api.AssignView.as_view(), name="assign"),
    path("triage/cases/<int:report_id>/notes/", api.NotesView.as_view(), name="notes"),
    path("triage/cases/<int:report_id>/messages/", api.MessagesView.as_view(),
         name="messages"),
    path("triage/cases/<int:report_id>/support/", api.SupportView.as_view(), name="support"),
]
