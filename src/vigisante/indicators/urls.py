from django.urls import path

from vigisante.indicators import views

app_name = "indicators"
urlpatterns = [
    path("reports/<int:report_id>/", views.report_indicators, name="report"),
    path("reports/<int:report_id>/review/", views.review, name="review"),
    path("reports/<int:report_id>/add/", views.add, name="add"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/update/", views.campaign_update, name="campaign_update"),
    path("campaigns/<int:pk>/merge/", views.campaign_merge, name="campaign_merge"),
    path("campaigns/<int:pk>/split/", views.campaign_split, name="campaign_split"),
    path("campaigns/<int:pk>/acknowledge/", views.campaign_acknowledge,
         name="campaign_acknowledge"),
    path("correlation/", views.correlation, name="correlation"),
    path("correlation/rebuild/", views.correlation_rebuild, name="correlation_rebuild"),
    path("warninglists/", views.warninglist, name="warninglists"),
    path("warninglists/add/", views.warninglist_add, name="warninglist_add"),
    path("warninglists/import/", views.warninglist_import, name="warninglist_import"),
    path("warninglists/<int:entry_id>/remove/", views.warninglist_remove,
         name="warninglist_remove"),
]
