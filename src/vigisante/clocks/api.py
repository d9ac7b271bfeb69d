"""GET /api/v1/reports/<id>/clocks/: the regulatory clocks of a report the caller may see."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from vigisante.clocks import domain, services
from vigisante.core.api_views import RestrictedAPIView
from vigisante.reports.models import Report


class ClockSerializer(serializers.Serializer):
    regime = serializers.CharField()
    regime_label = serializers.CharField(source="get_regime_display")
    recipient = serializers.CharField()
    starts_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    due_at_paris = serializers.SerializerMethodField()
    done_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    na_reason = serializers.CharField()
    seconds_left = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    def get_due_at_paris(self, clock) -> str | None:
        """The deadline in Europe/Paris local time (ISO 8601 with its offset)."""
        return clock.due_at.astimezone(domain.PARIS).isoformat() if clock.due_at else None

    def get_seconds_left(self, clock) -> int | None:
        """Seconds until the deadline of a clock still due; negative once it has passed."""
        left = clock.time_left(self.context["now"])
        return None if left is None else int(left.total_seconds())

    def get_overdue(self, clock) -> bool:
        return clock.is_overdue(self.context["now"])


class ReportClocksView(RestrictedAPIView):
    access_model = Report
    access_kwarg = "pk"

    @extend_schema(responses=ClockSerializer(many=True), summary="Regulatory clocks of a report")
    def get(self, request, pk: int):
        clocks = services.clocks_for(self.object)
        data = ClockSerializer(clocks, many=True, context={"now": timezone.now()}).data
        return Response(data)
