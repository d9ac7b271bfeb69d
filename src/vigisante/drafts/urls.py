"""Pages of the regulatory drafts, under a report: /reports/<pk>/drafts/..."""

from django.urls import path

from vigisante.drafts import views

app_name = "drafts"
urlpatterns = [
    path("", views.draft_list, name="list"),
    path("facts/", views.edit_facts, name="facts"),
    path("dpo/", views.edit_dpo, name="dpo"),
    path("all.zip", views.draft_bundle, name="bundle"),
    path("<slug:kind>/", views.draft_detail, name="detail"),
    path("<slug:kind>/sent/", views.record_sent, name="sent"),
    path("<slug:kind>.<slug:fmt>", views.draft_download, name="download"),
]
