"""`/api/v1/transmissions/`: the transmissions an authority received (CERT staff: every
one), each with the need-to-know summary it carried; marking one read.

An authority's JSON carries only the summary (see authorities/summary.py): never the
report's texts, attachments, indicators, notes or the reporter's contacts.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from vigisante.authorities import access as rules
from vigisante.authorities import services
from vigisante.authorities.models import State, Transmission
from vigisante.core.api import SafeJSONParser, page_of
from vigisante.core.api_views import RestrictedAPIView, write_transaction

TAGS = ["transmissions"]
ERROR_400 = OpenApiResponse(OpenApiTypes.OBJECT, description='Bad input: `{"field": '
                            '["message"]}`.')
ERROR_404 = OpenApiResponse(OpenApiTypes.OBJECT,
                            description="No such transmission among those you may see.")


class HoldOut(serializers.Serializer):
    id = serializers.IntegerField()
    authority = serializers.CharField(help_text="The authority held back; \"\" for a hold "
                                      "of every authority of the report.")
    region = serializers.CharField()
    reason = serializers.CharField()
    held_by = serializers.EmailField(source="held_by.email", allow_null=True, default=None)
    held_at = serializers.DateTimeField()
    released_at = serializers.DateTimeField(allow_null=True)


class TransmissionOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    site_url = serializers.SerializerMethodField()
    reference = serializers.CharField(source="report.reference")
    authority = serializers.CharField()
    region = serializers.CharField()
    trigger = serializers.CharField()
    rule = serializers.CharField()
    state = serializers.CharField()
    event_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)
    read_by = serializers.EmailField(source="read_by.email", allow_null=True, default=None)
    summary = serializers.JSONField(help_text="The need-to-know summary of the report when "
                                    "the transmission was decided (codes, ISO dates).")
    late = serializers.SerializerMethodField()
    hold = serializers.SerializerMethodField()

    def get_late(self, obj: Transmission) -> bool:
        """Sent after its target, or not sent and past it."""
        return services.is_late(obj, self.context["now"])

    @extend_schema_field(HoldOut(allow_null=True))
    def get_hold(self, obj: Transmission) -> dict | None:
        """CERT staff: the hold that keeps it back (or kept it back, `released_at` set),
        with its reason. Always null for an authority."""
        if not self.context.get("staff") or obj.hold is None:
            return None
        return dict(HoldOut(obj.hold).data)

    def get_url(self, obj: Transmission) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("authorities-api:transmission-detail", args=[obj.pk]))

    def get_site_url(self, obj: Transmission) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("authorities:report", args=[obj.report_id]))


def context_of(request: Request, now: Any = None) -> dict[str, Any]:
    return {"request": request, "now": now or timezone.now(),
            "staff": not rules.is_authority(request.user)}


class TransmissionFilter(serializers.Serializer):
    unread = serializers.ChoiceField(choices=["true", "false"], required=False, help_text=(
        "true: only the transmissions not read yet; false: only those read."))
    reference = serializers.CharField(required=False, max_length=20,
                                      help_text="Only the transmissions of this report.")
    since = serializers.DateTimeField(required=False, help_text=(
        "Only the transmissions sent at or after this instant (ISO 8601)."))
    state = serializers.ChoiceField(choices=State.values, required=False, help_text=(
        "CERT staff: only the transmissions in this state (pending, held, sent)."))
    late = serializers.ChoiceField(choices=["true", "false"], required=False, help_text=(
        "true: only those sent after their target or not sent and past it; false: the "
        "others."))


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class TransmissionList(RestrictedAPIView):
    access_model = Transmission
    access_actions = {"GET": "view", "HEAD": "view", "OPTIONS": "view"}

    @extend_schema(
        operation_id="transmissions_list", summary="Transmissions to your authority",
        description="Authorities (ARS, HFDS, DGS, defence): the transmissions sent to their "
        "scope, newest first. CERT staff: every transmission, held and pending included.",
        parameters=[TransmissionFilter],
        responses={200: page_of(TransmissionOut, name="TransmissionPage"), 400: ERROR_400},
        tags=TAGS)
    def get(self, request: Request) -> Response:
        filters = TransmissionFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data: dict[str, Any] = filters.validated_data
        qs = self.restrict(Transmission.objects.select_related("report", "read_by",
                                                              "hold__held_by"))
        if "unread" in data:
            qs = qs.filter(read_at__isnull=data["unread"] == "true")
        if data.get("reference"):
            qs = qs.filter(report__reference__iexact=data["reference"].strip())
        if data.get("since"):
            qs = qs.filter(sent_at__gte=data["since"])
        if data.get("state"):
            qs = qs.filter(state=data["state"])
        now = timezone.now()
        if "late" in data:
            late = services.late_q(now)
            qs = qs.filter(late) if data["late"] == "true" else qs.exclude(late)
        qs = qs.order_by("-sent_at", "-event_at", "-pk")
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(
            TransmissionOut(page, many=True, context=context_of(request, now)).data)


class TransmissionDetail(RestrictedAPIView):
    access_model = Transmission
    access_kwarg = "pk"
    access_actions = {"GET": "view", "HEAD": "view", "OPTIONS": "view"}

    def access_queryset(self) -> Any:
        return Transmission.objects.select_related("report", "read_by", "hold__held_by")

    @extend_schema(operation_id="transmissions_retrieve", summary="One transmission",
                   description="Reading it here does not mark it read: POST to `read/`.",
                   responses={200: TransmissionOut, 404: ERROR_404}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(TransmissionOut(self.object, context=context_of(request)).data)


class TransmissionRead(RestrictedAPIView):
    access_model = Transmission
    access_kwarg = "pk"
    access_actions = {"POST": "mark_read", "OPTIONS": "mark_read"}
    parser_classes = [SafeJSONParser]

    @extend_schema(operation_id="transmissions_mark_read", summary="Mark a transmission read",
                   description="Records who read it and when (the first reading is kept). "
                   "Authorities only.", request=None,
                   responses={200: TransmissionOut, 404: ERROR_404}, tags=TAGS)
    def post(self, request: Request, pk: int) -> Response:
        with write_transaction():
            t = services.mark_one_read(actor=request.user, transmission_id=pk)
        t = Transmission.objects.select_related("report", "read_by").get(pk=t.pk)
        return Response(TransmissionOut(t, context=context_of(request)).data)
