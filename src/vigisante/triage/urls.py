from django.urls import path

from vigisante.triage import views

app_name = "triage"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:report_id>/", views.case, name="case"),
    path("<int:report_id>/qualify/", views.qualify, name="qualify"),
    path("<int:report_id>/transition/", views.transition, name="transition"),
    path("<int:report_id>/assign/", views.assign, name="assign"),
    path("<int:report_id>/notes/", views.add_note, name="note"),
    path("<int:report_id>/messages/", views.send_message, name="message"),
    path("<int:report_id>/support/", views.record_support, name="support"),
    path("<int:report_id>/reply/", views.reply, name="reply"),
]
