"""GET /api/v1/observatory/?year=2023 (or from/to, source, view, health_only): the content
of figures.json. CERT staff and observers only (observers always get the public version);
anyone else gets a 404."""

from __future__ import annotations

import json

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigisante.core.api_views import IsAuthenticatedAndVerified
from vigisante.observatory import render, views
from vigisante.observatory.forms import PeriodForm, last_full_year

PARAMETERS = [
    OpenApiParameter("year", OpenApiTypes.INT, description="Calendar year (default: the "
                     "last complete one)."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (with `to`)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (with `from`)."),
    OpenApiParameter("source", OpenApiTypes.STR, enum=["sector", "veris", "hhs"],
                     description="Sector reports (default) or imported records."),
    OpenApiParameter("view", OpenApiTypes.STR, enum=["internal", "public"],
                     description="CERT staff only; observers always get `public`."),
    OpenApiParameter("health_only", OpenApiTypes.BOOL,
                     description="Imported records: health care victims only."),
]


class FiguresView(APIView):
    permission_classes = [IsAuthenticatedAndVerified]

    @extend_schema(
        summary="Every figure of the observatory report of a period (figures.json)",
        parameters=PARAMETERS, tags=["observatory"],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="figures.json"),
                   400: OpenApiResponse(OpenApiTypes.OBJECT, description="Bad parameter: "
                                        '`{"field": ["message"]}`.'),
                   404: OpenApiResponse(OpenApiTypes.OBJECT,
                                        description="Not available to this user.")},
    )
    def get(self, request: Request) -> Response:
        if not views.can_view(request.user):
            raise Http404
        form = PeriodForm(request.query_params or None,
                          default_year=last_full_year(timezone.localdate()),
                          can_see_internal=request.user.is_cert_staff)
        if form.is_bound and not form.is_valid():
            return Response({k: list(v) for k, v in form.errors.items()}, status=400)
        if not form.is_bound:
            form = PeriodForm({"year": form.default_year}, default_year=form.default_year,
                              can_see_internal=request.user.is_cert_staff)
            form.is_valid()
        report = views.report_for(form)
        return Response(json.loads(render.figures_json(report)))
