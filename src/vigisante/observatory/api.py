"""The observatory's API. Every answer is a stored snapshot's figures.json.

- `GET /api/v1/observatory/published/`: the published versions (anyone, no account).
- `GET /api/v1/observatory/published/<year>/` (`?version=n`): a published version's figures.
- `GET /api/v1/observatory/?year=2023` (or from/to, source, view, health_only): CERT staff,
  any period (202 with the progress while the worker computes it); observers, the published
  version of a year only (they see what the public sees).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigisante.core.api_views import IsAuthenticatedAndVerified
from vigisante.observatory import access as policy
from vigisante.observatory import services
from vigisante.observatory.forms import PeriodForm
from vigisante.observatory.models import Snapshot, SnapshotFile

PARAMETERS = [
    OpenApiParameter("year", OpenApiTypes.INT, description="Calendar year (default: the "
                     "latest published one for observers, the last complete one for staff)."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (with `to`; staff)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (staff)."),
    OpenApiParameter("source", OpenApiTypes.STR, enum=["sector", "veris", "hhs"],
                     description="Sector reports (default) or imported records (staff)."),
    OpenApiParameter("view", OpenApiTypes.STR, enum=["internal", "public"],
                     description="CERT staff only; observers always get the published one."),
    OpenApiParameter("health_only", OpenApiTypes.BOOL,
                     description="Imported records: health care victims only."),
]


def _figures(snap: Snapshot) -> HttpResponse:
    """The stored figures.json, byte for byte (no parsing, no re-encoding)."""
    return HttpResponse(services.file_bytes(snap, "figures.json"),
                        content_type="application/json; charset=utf-8")


def _describe(snap: Snapshot) -> dict:
    sha = next((f.sha256 for f in snap.files.all()), None)  # prefetched: figures.json only
    return {"year": snap.year, "version": snap.version,
            "published_at": snap.published_at.isoformat(), "note": snap.note,
            "figures_sha256": sha, "data_sha256": snap.data_sha256,
            "url": reverse("observatory:published_version", args=[snap.year, snap.version])}


class PublishedListView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(summary="The published versions of the observatory", tags=["observatory"],
                   operation_id="observatory_published_list",
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT)})
    def get(self, request: Request) -> Response:
        figures = Prefetch("files", queryset=SnapshotFile.objects.filter(
            name="figures.json").only("snapshot_id", "sha256"))
        return Response({"results": [_describe(s) for s in
                                     services.published().prefetch_related(figures)]})


class PublishedView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(summary="A published version's figures.json", tags=["observatory"],
                   operation_id="observatory_published_figures",
                   parameters=[OpenApiParameter("version", OpenApiTypes.INT,
                                                description="Default: the latest.")],
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT),
                              404: OpenApiResponse(OpenApiTypes.OBJECT)})
    def get(self, request: Request, year: int) -> Response:
        version = request.query_params.get("version")
        if version is not None and not version.isdigit():
            return Response({"version": ["A whole number."]}, status=400)
        found = services.published_figures_file(
            year, int(version) if version is not None else None)
        if found is None:
            raise Http404
        snapshot_id, sha256 = found
        # one query; the bytes are read once per process (a published version is frozen)
        return HttpResponse(services.stored_bytes(snapshot_id, "figures.json", sha256),
                            content_type="application/json; charset=utf-8")


class FiguresView(APIView):
    permission_classes = [IsAuthenticatedAndVerified]

    @extend_schema(
        summary="Every figure of the observatory report of a period (figures.json)",
        parameters=PARAMETERS, tags=["observatory"],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="figures.json"),
                   202: OpenApiResponse(OpenApiTypes.OBJECT, description="Being computed: "
                                        '`{"state", "progress"}`; ask again.'),
                   400: OpenApiResponse(OpenApiTypes.OBJECT, description="Bad parameter: "
                                        '`{"field": ["message"]}`.'),
                   404: OpenApiResponse(OpenApiTypes.OBJECT,
                                        description="Not available to this user.")},
    )
    def get(self, request: Request) -> Response:
        user = request.user
        if not policy.may_compute(user):
            if not policy.sees_published_only(user):
                raise Http404
            return self._published(request)
        form = PeriodForm(request.query_params or None,
                          default_year=services.default_year(timezone.localdate()),
                          can_see_internal=True)
        if form.is_bound and not form.is_valid():
            return Response({k: list(v) for k, v in form.errors.items()}, status=400)
        if not form.is_bound:
            form = PeriodForm({"year": form.default_year}, default_year=form.default_year,
                              can_see_internal=True)
            form.is_valid()
        params = {"period": form.period(), "source": form.chosen_source(),
                  "public": form.is_public(),
                  "health_only": bool(form.cleaned_data.get("health_only"))}
        ready, pending = services.working_snapshot(**params)
        if ready is not None:
            return _figures(ready)
        if pending is None:
            pending = services.request_snapshot(actor=user, now=timezone.now(), **params)
        return Response({"state": pending.state, "progress": pending.progress}, status=202)

    def _published(self, request: Request) -> Response:
        """Observers: the published version of a year, nothing else."""
        allowed = {"year", "source", "view"}
        extra = sorted(set(request.query_params) - allowed)
        if extra:
            return Response({k: ["Only published years are available: give `year`."]
                             for k in extra}, status=400)
        if request.query_params.get("source", "sector") != "sector":
            return Response({"source": ["Only the sector's published years are available."]},
                            status=400)
        year = request.query_params.get("year")
        if year is None:
            snap = services.published().first()
        elif not year.isdigit():
            return Response({"year": ["A whole number."]}, status=400)
        else:
            snap = services.latest_published(int(year))
        if snap is None:
            raise Http404
        return _figures(snap)
