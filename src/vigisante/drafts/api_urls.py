"""API routes of the drafts, mounted under /api/v1/."""

from django.urls import include, path

from vigisante.drafts import api

routes = [
    path("", api.DraftList.as_view(), name="list"),
    path("facts/", api.DraftFacts.as_view(), name="facts"),
    path("all/zip/", api.DraftBundle.as_view(), name="bundle"),
    path("<slug:kind>/", api.DraftDetail.as_view(), name="detail"),
    path("<slug:kind>/sent/", api.DraftSent.as_view(), name="sent"),
    path("<slug:kind>/<slug:fmt>/", api.DraftFile.as_view(), name="file"),
]
urlpatterns = [path("reports/<int:pk>/drafts/", include((routes, "drafts-api")))]
