"""/taxii2/: the TAXII 2.1 server (discovery, one API root, its collections)."""

from django.urls import path

from vigisante.taxii import views

app_name = "taxii"
_collection = "api/collections/<str:collection_id>/"
urlpatterns = [
    path("", views.discovery, name="discovery"),
    path("api/", views.api_root, name="api_root"),
    path("api/status/<str:status_id>/", views.status, name="status"),
    path("api/collections/", views.collections, name="collections"),
    path(_collection, views.collection, name="collection"),
    path(_collection + "objects/", views.objects, name="objects"),
    path(_collection + "objects/<str:object_id>/", views.object_detail, name="object"),
    path(_collection + "objects/<str:object_id>/versions/", views.versions, name="versions"),
    path(_collection + "manifest/", views.manifest, name="manifest"),
]
