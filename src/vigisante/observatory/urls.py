"""Pages of the observatory (the JSON API lives in api_urls.py)."""

from django.urls import path

from vigisante.observatory import views

app_name = "observatory"
urlpatterns = [
    path("", views.index, name="index"),
    path("recompute/", views.recompute, name="recompute"),
    path("snapshots/<int:pk>/<path:name>", views.snapshot_file, name="snapshot_file"),
    path("published/", views.published_index, name="published_index"),
    path("published/<int:year>/", views.published, name="published"),
    path("published/<int:year>/v<int:version>/", views.published, name="published_version"),
    path("published/<int:year>/v<int:version>/<path:name>", views.published_file,
         name="published_file"),
    path("publications/", views.publications, name="publications"),
    path("publications/<int:pk>/", views.publication, name="publication"),
]
