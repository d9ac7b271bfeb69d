"""`/api/v1/indicators/`: the feed of confirmed indicators an account may see.

Used by `vigisante check-logs`. Cursor pages (stable while indicators are added), ordered by
id; `since` for incremental fetches; `type` to filter. Never any reporting establishment,
report, reporter or free text: type, value, TLP, confidence and dates only.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from vigisante.core.api import SafeJSONParser
from vigisante.core.api_views import AccessMixin, IsAuthenticatedAndVerified, write_transaction
from vigisante.indicators import affected, feed
from vigisante.indicators.models import TYPES, Indicator


class FeedPagination(CursorPagination):
    ordering = "id"
    page_size = 1000
    page_size_query_param = "page_size"
    max_page_size = 5000


class FeedIndicator(serializers.ModelSerializer):
    confirmed_at = serializers.DateTimeField(source="reviewed_at", read_only=True)

    class Meta:
        model = Indicator
        fields = ["id", "type", "value", "tlp", "confidence", "first_seen", "last_seen",
                  "confirmed_at"]
        read_only_fields = fields


@extend_schema(
    summary="The confirmed indicators you may receive (feed of check-logs)",
    tags=["indicators"],
    parameters=[
        OpenApiParameter("since", OpenApiTypes.DATETIME, required=False,
                         description="Only indicators confirmed at or after this ISO 8601 "
                                     "date or date-time (naive = UTC)."),
        OpenApiParameter("type", OpenApiTypes.STR, required=False,
                         description="Comma-separated types, e.g. `domain,ipv4`."),
    ],
)
class IndicatorFeed(AccessMixin, ListAPIView):
    """Observers and anyone without the `receive` action get a 404 (the access policy)."""

    permission_classes = [IsAuthenticatedAndVerified]
    access_model = Indicator
    access_actions = {"GET": "receive", "HEAD": "receive", "OPTIONS": "receive"}
    serializer_class = FeedIndicator
    pagination_class = FeedPagination

    def get_queryset(self):
        qs = self.restrict(Indicator.objects.all()).only(
            "id", "type", "value", "tlp", "confidence", "first_seen", "last_seen",
            "reviewed_at")
        params = self.request.query_params
        if "since" in params:
            since = feed.parse_since(params["since"])
            if since is None:
                raise exceptions.ValidationError(
                    {"since": [_("Give an ISO 8601 date or date-time, e.g. "
                                 "2026-11-30T08:00:00Z.")]})
            qs = qs.filter(feed.since_filter(since))
        if params.get("type"):
            types = [t.strip() for t in params["type"].split(",") if t.strip()]
            unknown = [t for t in types if t not in TYPES]
            if unknown:
                raise exceptions.ValidationError(
                    {"type": [_("Unknown type: %(types)s.") % {"types": ", ".join(unknown)[:200]}]})
            qs = qs.filter(type__in=types)
        return qs


@extend_schema(
    summary="File an early warning for indicators found by check-logs --send",
    tags=["indicators"],
    request=inline_serializer("LogMatches", {
        "matches": serializers.ListField(child=serializers.DictField()),
        "establishment": serializers.CharField(required=False)}),
    responses={201: inline_serializer("LogMatchesReport", {
        "id": serializers.IntegerField(), "reference": serializers.CharField()})},
)
class LogMatches(AccessMixin, APIView):
    """`POST {"matches": [{"type", "value", "count"}], "establishment": FINESS}`: the indicators
    a server found in its logs (no log line); creates one early warning (201 with its
    reference), linked to the indicators' campaigns."""

    permission_classes = [IsAuthenticatedAndVerified]
    parser_classes = [SafeJSONParser]
    access_model = Indicator
    access_actions = {"POST": "receive", "OPTIONS": "receive"}

    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        with write_transaction():
            report = affected.report_matches(actor=request.user, matches=data.get("matches"),
                                             establishment=data.get("establishment"))
        return Response({"id": report.pk, "reference": report.reference},
                        status=status.HTTP_201_CREATED)
