"""GET /api/v1/reports/<id>/clocks/: the regulatory clocks of a report the caller may see,
then the clocks other apps keep that the caller may see (CERT staff: the transmission to the
authorities, one per step of the report)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from vigisante.clocks import domain, services
from vigisante.core.api_views import RestrictedAPIView
from vigisante.reports.models import Report


class ClockPartSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Which recipient, e.g. `ars:IDF`, `hfds:`.")
    recipient = serializers.CharField(source="label")
    state = serializers.CharField(help_text="due, done_on_time, done_late or held.")
    state_label = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    held_reason = serializers.CharField()


class ClockSerializer(serializers.Serializer):
    regime = serializers.CharField(help_text="A regulatory regime, or `authority_transmission` "
                                   "(CERT staff only).")
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
    subject = serializers.SerializerMethodField()
    held_reason = serializers.SerializerMethodField()
    parts = serializers.SerializerMethodField()

    def get_subject(self, clock) -> str:
        """What this occurrence is about (the step of a transmission); "" for a regulatory
        clock."""
        return str(getattr(clock, "subject", ""))

    def get_held_reason(self, clock) -> str:
        """Why an analyst holds it back (state `held`); "" otherwise."""
        return str(getattr(clock, "held_reason", ""))

    @extend_schema_field(ClockPartSerializer(many=True))
    def get_parts(self, clock) -> list:
        """Each recipient of a clock with several (the authorities of a transmission)."""
        return list(ClockPartSerializer(getattr(clock, "parts", ()), many=True).data)

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

    @extend_schema(responses=ClockSerializer(many=True), summary="Regulatory clocks of a report",
                   description="The regulatory clocks, then, for CERT staff, the transmission "
                   "to the authorities of each step of the report (regime "
                   "`authority_transmission`, state `held` when an analyst holds one back).")
    def get(self, request, pk: int):
        now = timezone.now()
        clocks = [*services.clocks_for(self.object),
                  *services.other_clocks(self.object, request.user, now)]
        data = ClockSerializer(clocks, many=True, context={"now": now}).data
        return Response(data)
