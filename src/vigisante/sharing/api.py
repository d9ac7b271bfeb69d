"""The alerts API (/api/v1/alerts/): the alerts an account received (reporters) or every
alert (CERT staff), with the account's read state; marking an alert read.

A recipient's JSON carries only the alert's own fields (title, situation, actions, TLP, sent
date, indicator types and values) and its read state. Staff also get the state, targets and
counts, and on the detail the read receipts per establishment.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, DateTimeField, ExpressionWrapper, OuterRef, Q, Subquery
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from vigisante.core.api import SafeJSONParser
from vigisante.core.api_views import IsAuthenticatedAndVerified, write_transaction
from vigisante.sharing import access, presenters, services
from vigisante.sharing.models import Alert, AlertRead

TAGS = ["alerts"]
ERROR_400 = OpenApiResponse(OpenApiTypes.OBJECT, description='Bad input: `{"field": '
                            '["message"]}` or `{"non_field_errors": ["message"]}`.')
ERROR_404 = OpenApiResponse(OpenApiTypes.OBJECT,
                            description="No such alert among those you may see.")


class IndicatorOut(serializers.Serializer):
    type = serializers.CharField()
    value = serializers.CharField()


class AlertOut(serializers.Serializer):
    """What a recipient gets: the alert's own fields and the account's read state."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    title = serializers.CharField()
    situation = serializers.CharField()
    actions = serializers.CharField()
    tlp = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)
    indicators = serializers.SerializerMethodField()
    read = serializers.SerializerMethodField()
    read_at = serializers.DateTimeField(allow_null=True)  # annotated by _queryset

    def get_url(self, obj: Alert) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("sharing-api:alert-detail", args=[obj.pk]))

    @extend_schema_field(IndicatorOut(many=True))
    def get_indicators(self, obj: Alert) -> list[dict[str, str]]:
        # prefetched by _queryset: sorted here, without a query
        return [{"type": i.type, "value": i.value}
                for i in sorted(obj.indicators.all(), key=lambda i: (i.type, i.value))]

    def get_read(self, obj: Any) -> bool:  # an Alert annotated with read_at by _queryset
        return obj.read_at is not None


class Targets(serializers.Serializer):
    everyone = serializers.BooleanField()
    categories = serializers.ListField(child=serializers.CharField())
    sectors = serializers.ListField(child=serializers.CharField())
    regions = serializers.ListField(child=serializers.CharField())
    nis2_statuses = serializers.ListField(child=serializers.CharField())
    suppliers = serializers.ListField(child=serializers.IntegerField())


class StaffAlertOut(AlertOut):
    """Staff also see the state, the targets, the counts and the campaign."""

    state = serializers.SerializerMethodField()
    campaign = serializers.IntegerField(allow_null=True, source="campaign_id")
    targets = serializers.SerializerMethodField()
    recipients_count = serializers.IntegerField()
    reads_count = serializers.IntegerField()

    @extend_schema_field(serializers.ChoiceField(choices=["draft", "sent"]))
    def get_state(self, obj: Alert) -> str:
        return "sent" if obj.is_sent else "draft"

    @extend_schema_field(Targets())
    def get_targets(self, obj: Alert) -> dict[str, Any]:
        return {"everyone": obj.target_all, "categories": obj.target_categories,
                "sectors": obj.target_sectors, "regions": obj.target_regions,
                "nis2_statuses": obj.target_nis2,
                "suppliers": sorted(s.pk for s in obj.target_suppliers.all())}


class ReaderOut(serializers.Serializer):
    email = serializers.EmailField()
    read_at = serializers.DateTimeField()


class ReceiptOut(serializers.Serializer):
    establishment_id = serializers.IntegerField()
    establishment = serializers.CharField()
    finess = serializers.CharField()
    delivered_at = serializers.DateTimeField()
    emailed_at = serializers.DateTimeField(allow_null=True)
    readers = ReaderOut(many=True)


class StaffAlertDetailOut(StaffAlertOut):
    receipts = serializers.SerializerMethodField()

    @extend_schema_field(ReceiptOut(many=True))
    def get_receipts(self, obj: Alert) -> list[dict[str, Any]]:
        return [{"establishment_id": r.establishment.pk, "establishment": r.establishment.name,
                 "finess": r.establishment.finess, "delivered_at": r.delivered_at,
                 "emailed_at": r.emailed_at,
                 "readers": [{"email": u.email, "read_at": at} for u, at in r.reads]}
                for r in services.receipts(obj)]


class AlertFilter(serializers.Serializer):
    # A ChoiceField: DRF reads a BooleanField missing from a query string as false.
    unread = serializers.ChoiceField(choices=["true", "false"], required=False, help_text=(
        "true: only the alerts you have not read; false: only those you have."))


class AlertPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


def _queryset(user):
    read_at = AlertRead.objects.filter(alert=OuterRef("pk"), user=user).values("read_at")[:1]
    qs = access.visible_alerts(user).annotate(
        read_at=Subquery(read_at, output_field=DateTimeField())).annotate(
        is_read=ExpressionWrapper(Q(read_at__isnull=False), output_field=BooleanField()))
    if access.is_staff(user):
        qs = qs.annotate(recipients_count=presenters._count(presenters.AlertRecipient),
                         reads_count=presenters._count(AlertRead))
        return qs.prefetch_related("target_suppliers", "indicators").order_by(
            "-sent_at", "-created_at", "-pk")
    return qs.prefetch_related("indicators").order_by("is_read", "-sent_at", "-pk")


def _detail(request: Request, pk: Any) -> dict[str, Any]:
    access.get_visible_alert(request.user, pk)  # 404 for anyone who may not see it
    alert = _queryset(request.user).get(pk=pk)
    context = {"request": request}
    if not access.is_staff(request.user):
        return AlertOut(alert, context=context).data
    return StaffAlertDetailOut(alert, context=context).data


class AlertList(GenericAPIView):
    permission_classes = [IsAuthenticatedAndVerified]
    pagination_class = AlertPagination
    serializer_class = AlertOut

    @extend_schema(
        operation_id="alerts_list", summary="The alerts you received (staff: every alert)",
        description="Reporters: the alerts sent to their establishments, unread first. CERT "
        "staff: every alert, drafts included, with targets and counts (`StaffAlert`). "
        "Observers: none.",
        parameters=[AlertFilter], responses={200: AlertOut(many=True), 400: ERROR_400},
        tags=TAGS)
    def get(self, request: Request) -> Response:
        filters = AlertFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = _queryset(request.user)
        if "unread" in filters.validated_data:
            qs = qs.filter(is_read=filters.validated_data["unread"] == "false")
        staff = access.is_staff(request.user)
        page = self.paginate_queryset(qs) or []
        out = (StaffAlertOut if staff else AlertOut)(page, many=True,
                                                     context={"request": request})
        return self.get_paginated_response(out.data)


class AlertDetail(GenericAPIView):
    permission_classes = [IsAuthenticatedAndVerified]
    serializer_class = AlertOut

    @extend_schema(
        operation_id="alerts_retrieve", summary="One alert",
        description="Reading it here does not mark it read: POST to `read/` for that. Staff "
        "also get `receipts`: per recipient establishment, who read it and when.",
        responses={200: AlertOut, 404: ERROR_404}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(request, pk))


class AlertMarkRead(GenericAPIView):
    permission_classes = [IsAuthenticatedAndVerified]
    parser_classes = [SafeJSONParser]
    serializer_class = AlertOut

    @extend_schema(
        operation_id="alerts_mark_read", summary="Mark an alert read",
        description="Records your read receipt (the first reading is kept; marking again "
        "changes nothing). Only the reporters of a recipient establishment record readings.",
        request=None, parameters=[OpenApiParameter("pk", OpenApiTypes.INT,
                                                   OpenApiParameter.PATH)],
        responses={200: AlertOut, 400: ERROR_400, 404: ERROR_404}, tags=TAGS)
    def post(self, request: Request, pk: int) -> Response:
        alert = access.get_visible_alert(request.user, pk)
        with write_transaction():
            services.mark_read(actor=request.user, alert=alert)
        return Response(_detail(request, pk))
