"""`/api/v1/transmissions/`: the transmissions an authority received (CERT staff: every
one), each with the need-to-know summary it carried; marking one read.

`/api/v1/reports/<id>/transmission-holds/`: CERT staff hold back a report's transmissions to
one authority or to all of them, with a reason, and release them (the same services as the
case page's forms; audited by them).

Every POST honours an `Idempotency-Key` header (reports/idempotency.py, as the reports and
triage APIs): a retry replays the first answer and writes nothing again.

An authority's JSON carries only the summary (see authorities/summary.py): never the
report's texts, attachments, indicators, notes or the reporter's contacts.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from vigisante.authorities import access as rules
from vigisante.authorities import services
from vigisante.authorities.models import State, Transmission, TransmissionHold, scope_label
from vigisante.core.api import SafeJSONParser, page_of
from vigisante.core.api_views import RestrictedAPIView, write_transaction
from vigisante.reports.idempotency import (
    SCHEMA_PARAMETER,
    SCHEMA_RESPONSES,
    idempotent,
    no_headers,
)
from vigisante.reports.models import Report

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
        page: list[Transmission] | None = paginator.paginate_queryset(qs, request, view=self)
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
                   "Authorities only.", request=None, parameters=[SCHEMA_PARAMETER],
                   responses={200: TransmissionOut, 404: ERROR_404, **SCHEMA_RESPONSES},
                   tags=TAGS)
    @idempotent(replay_headers=no_headers)
    def post(self, request: Request, pk: int) -> Response:
        with write_transaction():
            t = services.mark_one_read(actor=request.user, transmission_id=pk)
        t = Transmission.objects.select_related("report", "read_by").get(pk=t.pk)
        return Response(TransmissionOut(t, context=context_of(request)).data)


# ---------------------------------------------------------------------------------------------
# Holding back (CERT staff): /api/v1/reports/<id>/transmission-holds/
# ---------------------------------------------------------------------------------------------

HOLD_TAGS = ["transmission holds"]
HOLD_404 = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    "No such report (or hold of this report), or you are not CERT staff."))
HOLD_409 = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    'The report\'s holds forbid it: `{"to": ["The transmissions to this authority are '
    'already held back."]}`, `{"hold": ["This hold is not active on this report."]}`...; '
    "nothing was written."))


class HoldDetail(HoldOut):
    active = serializers.BooleanField()
    released_by = serializers.EmailField(source="released_by.email", allow_null=True,
                                         default=None)
    release_note = serializers.CharField()
    transmissions = serializers.SerializerMethodField()

    def get_transmissions(self, obj: TransmissionHold) -> list[int]:
        """The transmissions it keeps back now (none once released)."""
        return sorted(t.pk for t in obj.transmissions.all() if t.state == State.HELD)


class HoldChoice(serializers.Serializer):
    to = serializers.CharField(help_text="The value of `to` that names it (\"\": every "
                               "authority).")
    name = serializers.CharField(help_text="The authority as people read it.")


class HoldsOut(serializers.Serializer):
    holds = HoldDetail(many=True, help_text="Every hold of the report, oldest first.")
    choices = HoldChoice(many=True, help_text="What a new hold may name now (none while "
                         "every authority is held back).")
    all_held = serializers.BooleanField()


class HoldIn(serializers.Serializer):
    to = serializers.CharField(required=False, allow_blank=True, default="", max_length=20,
                               help_text="The authority to hold back, as `authority:region` "
                               "(`ars:IDF`, `hfds:`, `dgs:`, `defence:`); blank or `all`: "
                               "every authority of the report.")
    reason = serializers.CharField(max_length=services.MAX_REASON,
                                   help_text="Why (required): shown to the CERT, never to "
                                   "the authority.")


class ReleaseIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=services.MAX_REASON)


class ReleasedOut(serializers.Serializer):
    released = serializers.IntegerField(help_text="How many transmissions are sent now (a "
                                        "transmission another hold keeps back stays held).")
    holds = HoldDetail(many=True, help_text="The holds this call ended.")


def _holds(report_id: int) -> Any:
    return (TransmissionHold.objects.filter(report_id=report_id)
            .select_related("held_by", "released_by").prefetch_related("transmissions")
            .order_by("held_at", "pk"))


def _parsed(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _refused(exc: ValidationError) -> Response:
    """400 for bad input, 409 when the report's holds forbid it: `{"field": [messages]}`."""
    code = (status.HTTP_409_CONFLICT if isinstance(exc, services.Conflict)
            else status.HTTP_400_BAD_REQUEST)
    return Response({k: [str(m) for m in v] for k, v in exc.message_dict.items()},
                    status=code)


class ReportHolds(RestrictedAPIView):
    access_model = Report
    access_kwarg = "report_id"
    access_actions = {"GET": "transmissions", "HEAD": "transmissions",
                      "OPTIONS": "transmissions", "POST": "hold_transmissions"}
    parser_classes = [SafeJSONParser]

    @extend_schema(operation_id="transmission_holds_list",
                   summary="The holds on a report's transmissions",
                   description="CERT staff: every hold of the report (active and released) "
                   "and what a new hold may name.",
                   responses={200: HoldsOut, 404: HOLD_404}, tags=HOLD_TAGS)
    def get(self, request: Request, report_id: int) -> Response:
        report = Report.objects.select_related("establishment").get(pk=self.object.pk)
        view = services.case_view(report)
        holds = list(_holds(report.pk))
        return Response(HoldsOut({
            "holds": holds, "all_held": view.all_held,
            "choices": [{"to": f"{a}:{r}" if a else "",
                         "name": scope_label(a, r) if a else _("every authority")}
                        for a, r in view.hold_choices]}).data)

    @extend_schema(operation_id="transmission_holds_create",
                   summary="Hold back a report's transmissions",
                   description="To one authority (`to`) or to every authority (`to` blank), "
                   "for a stated reason: the transmissions not sent yet are held, and so is "
                   "every one decided until the release. Audited (`transmission.held`).",
                   request=HoldIn, parameters=[SCHEMA_PARAMETER],
                   responses={201: HoldDetail, 400: ERROR_400, 404: HOLD_404, 409: HOLD_409,
                              **SCHEMA_RESPONSES},
                   tags=HOLD_TAGS)
    @idempotent(replay_headers=no_headers)
    def post(self, request: Request, report_id: int) -> Response:
        data = _parsed(HoldIn, request.data)
        try:
            with write_transaction():
                h = services.hold(actor=request.user, report_id=self.object.pk,
                                  reason=data["reason"], to=data["to"])
        except ValidationError as exc:
            return _refused(exc)
        return Response(HoldDetail(_holds(self.object.pk).get(pk=h.pk)).data,
                        status=status.HTTP_201_CREATED)


class ReleaseHolds(RestrictedAPIView):
    """Release one hold (`hold_id` in the path) or every active hold of the report."""

    access_model = Report
    access_kwarg = "report_id"
    access_actions = {"POST": "hold_transmissions", "OPTIONS": "hold_transmissions"}
    parser_classes = [SafeJSONParser]

    @extend_schema(operation_id="transmission_holds_release",
                   summary="Release a hold and send now",
                   description="Ends the hold: the transmissions no other hold keeps back are "
                   "sent at once (late if their target passed). Audited "
                   "(`transmission.released`).",
                   request=ReleaseIn, parameters=[SCHEMA_PARAMETER],
                   responses={200: ReleasedOut, 400: ERROR_400, 404: HOLD_404, 409: HOLD_409,
                              **SCHEMA_RESPONSES},
                   tags=HOLD_TAGS)
    @idempotent(replay_headers=no_headers)
    def post(self, request: Request, report_id: int, hold_id: int | None = None) -> Response:
        return self.release(request, hold_id)

    def release(self, request: Request, hold_id: int | None) -> Response:
        data = _parsed(ReleaseIn, request.data)
        if hold_id is not None and not TransmissionHold.objects.filter(
                pk=hold_id, report_id=self.object.pk).exists():
            raise exceptions.NotFound()
        try:
            with write_transaction():
                count, ended = services.release_holds(
                    actor=request.user, report_id=self.object.pk, note=data["note"],
                    hold_id=hold_id)
        except ValidationError as exc:
            return _refused(exc)
        return Response(ReleasedOut({
            "released": count,
            "holds": list(_holds(self.object.pk).filter(pk__in=[h.pk for h in ended]))}).data)


class ReleaseAllHolds(ReleaseHolds):
    @extend_schema(operation_id="transmission_holds_release_all",
                   summary="Release every hold of a report and send now",
                   description="Ends every active hold of the report (one authority's and "
                   "every authority's): its held transmissions are sent at once. Audited "
                   "(`transmission.released`, one event per hold).",
                   request=ReleaseIn, parameters=[SCHEMA_PARAMETER],
                   responses={200: ReleasedOut, 400: ERROR_400, 404: HOLD_404, 409: HOLD_409,
                              **SCHEMA_RESPONSES},
                   tags=HOLD_TAGS)
    @idempotent(replay_headers=no_headers)
    def post(self, request: Request, report_id: int, hold_id: int | None = None) -> Response:
        return self.release(request, None)
