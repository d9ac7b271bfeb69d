"""The triage API (/api/v1/triage/...): thin views over the same services as the pages.

CERT staff only: anyone else gets 404. A stale `version` gets 409 and nothing is saved.
Every POST honours an `Idempotency-Key` header (reports/idempotency.py): a retry replays the
first answer and writes nothing again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from vigisante.core.api import SafeJSONParser, page_of
from vigisante.core.api_views import RestrictedAPIView
from vigisante.reports.idempotency import (
    SCHEMA_PARAMETER,
    SCHEMA_RESPONSES,
    idempotent,
    no_headers,
)
from vigisante.reports.models import Report
from vigisante.triage import exchanges, queries, services
from vigisante.triage import serializers as s
from vigisante.triage.queries import QueueFilters

TAGS = ["triage"]
ERROR_400 = OpenApiResponse(OpenApiTypes.OBJECT,
                            description='Bad input: `{"field": ["message"]}` naming each field.')
ERROR_404 = OpenApiResponse(OpenApiTypes.OBJECT,
                            description="No such report, or you are not CERT staff.")
ERROR_409 = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    'Edit conflict: `{"version": ["changed by … at …, reload"]}`; nothing was saved.'))


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."


class LimitedJSONParser(SafeJSONParser):
    """JSON bodies, refused before reading when larger than DATA_UPLOAD_MAX_MEMORY_SIZE."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise BodyTooLarge()
        return super().parse(stream, media_type, parser_context)


class QueuePagination(LimitOffsetPagination):
    """Limit/offset pages; the count stops at 1,000 (`count_capped` then says so)."""

    default_limit = 25
    max_limit = 200

    def get_count(self, queryset) -> int:
        return queries.capped_count(queryset)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.count > queries.COUNT_CAP
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {
            "type": "boolean", "description": "True when there are more than 1,000 (count "
            "then stops at 1,001): narrow the filters."}
        return schema


class StaffView(RestrictedAPIView):
    """The policy (triage/access.py) applied before any parsing: a route that reads one case
    fetches the report with the method's action; others need the role to have it. Others get
    404. The workflow writes (qualify, transition, assign) check only the role here: their
    service fetches the report with the same action (one fetch, not two; 404 if refused)."""

    access_model = Report
    access_actions = {"GET": "triage", "HEAD": "triage", "OPTIONS": "triage"}
    parser_classes = [LimitedJSONParser]

    def parse(self, serializer_class, data) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def run(self, call, render, ok_status=status.HTTP_200_OK) -> Response:
        """Call a service; a stale version answers 409, other refusals 400 by field."""
        try:
            result = call()
        except ValidationError as exc:
            if services.is_conflict(exc):
                return Response({"version": [str(m) for m in exc.message_dict["version"]]},
                                status=status.HTTP_409_CONFLICT)
            raise
        return Response(render(result), status=ok_status)


def case_detail(actor, report_id) -> dict[str, Any]:
    """The case as the API shows it (no audit history, no analysts list)."""
    view = queries.case_view(actor=actor, report_id=report_id, history=False)
    case = view.case
    data = {f: getattr(case, f) for f in (
        "report_id", "state", "state_changed_at", "version", "updated_at", "updated_by",
        "assigned_to", "duplicate_of", "origin", "kind", "rsit_class", "rsit_type", "severity",
        "suggested_severity", "attack_vector", "detection_source", "detection_stage",
        "ransomware_extent", "qualified_at")}
    data.update(
        report=case.report, allowed_transitions=view.allowed,
        suggestion={"severity": view.assessment.severity,
                    "reasons": list(view.assessment.reasons)},
        qualifications=view.qualifications, transitions=view.transitions, notes=view.notes,
        messages=view.messages, supports=view.supports)
    return s.CaseDetail(data).data


QUEUE_PARAMS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=desc) for name, desc in (
        ("state", "Workflow state."), ("severity", "minor, significant or major."),
        ("kind", "Sector kind."), ("region", "Region code of the establishment."),
        ("category", "Category of the establishment."),
        ("assigned", "`me` or `none`."), ("overdue", "true: with an overdue clock only."),
        ("q", "Text search: reference, establishment, description."),
        ("sort", "One of " + ", ".join(queries.SORTS) + "."))
]


class QueueView(StaffView):
    @extend_schema(summary="The analyst's queue of sector reports, newest first",
                   operation_id="triage_cases_list",
                   parameters=QUEUE_PARAMS,
                   responses={200: page_of(s.QueueRow, name="QueuePage", capped=True),
                                                       400: ERROR_400, 404: ERROR_404},
                   tags=TAGS)
    def get(self, request):
        params = self.parse(s.QueueQuery, {k: v for k, v in request.query_params.items()
                                           if k in s.QueueQuery().fields})
        filters = QueueFilters(
            state=params["state"], severity=params["severity"], kind=params["kind"],
            region=params["region"], category=params["category"], assigned=params["assigned"],
            overdue=params["overdue"], q=params["q"].strip(),
            sort=params["sort"] or queries.DEFAULT_SORT)
        now = timezone.now()
        ids = queries.queue_ids(actor=request.user, filters=filters, now=now)
        paginator = QueuePagination()
        page = queries.queue_rows(list(paginator.paginate_queryset(ids, request, view=self)),
                                  now)
        return paginator.get_paginated_response(s.QueueRow(page, many=True).data)


class CaseView(StaffView):
    access_kwarg = "report_id"

    @extend_schema(summary="A case: qualification, workflow, notes, messages, support",
                   responses={200: s.CaseDetail, 404: ERROR_404}, tags=TAGS)
    def get(self, request, report_id: int):
        return Response(case_detail(request.user, report_id))


class QualifyView(StaffView):
    access_actions = {**StaffView.access_actions, "POST": "qualify"}

    @extend_schema(summary="Qualify a case (history is kept)", request=s.QualifyInput,
                   parameters=[SCHEMA_PARAMETER],
                   responses={200: s.CaseDetail, 400: ERROR_400, 404: ERROR_404,
                              409: ERROR_409, **SCHEMA_RESPONSES}, tags=TAGS)
    @idempotent(replay_headers=no_headers)
    def post(self, request, report_id: int):
        d = self.parse(s.QualifyInput, request.data)
        return self.run(lambda: services.qualify(
            actor=request.user, report_id=report_id, origin=d["origin"], kind=d["kind"],
            severity=d["severity"], attack_vector=d["attack_vector"],
            detection_source=d["detection_source"], detection_stage=d["detection_stage"],
            ransomware_extent=d["ransomware_extent"], comment=d["comment"],
            expected_version=d["version"]), lambda _c: case_detail(request.user, report_id))


class TransitionView(StaffView):
    access_actions = {**StaffView.access_actions, "POST": "transition"}

    @extend_schema(summary="Move a case to another state", request=s.TransitionInput,
                   parameters=[SCHEMA_PARAMETER],
                   responses={200: s.CaseDetail, 400: ERROR_400, 404: ERROR_404,
                              409: ERROR_409, **SCHEMA_RESPONSES}, tags=TAGS)
    @idempotent(replay_headers=no_headers)
    def post(self, request, report_id: int):
        d = self.parse(s.TransitionInput, request.data)
        return self.run(lambda: services.transition(
            actor=request.user, report_id=report_id, to_state=d["to_state"],
            comment=d["comment"], duplicate_of=d["duplicate_of"],
            expected_version=d["version"]), lambda _c: case_detail(request.user, report_id))


class AssignView(StaffView):
    access_actions = {**StaffView.access_actions, "POST": "assign"}

    @extend_schema(summary="Assign a case to an analyst (null: nobody)", request=s.AssignInput,
                   parameters=[SCHEMA_PARAMETER],
                   responses={200: s.CaseDetail, 400: ERROR_400, 404: ERROR_404,
                              409: ERROR_409, **SCHEMA_RESPONSES}, tags=TAGS)
    @idempotent(replay_headers=no_headers)
    def post(self, request, report_id: int):
        d = self.parse(s.AssignInput, request.data)
        return self.run(lambda: services.assign(
            actor=request.user, report_id=report_id, assignee=d["assigned_to"],
            expected_version=d["version"]), lambda _c: case_detail(request.user, report_id))


class BulkAcknowledgeView(StaffView):
    access_actions = {**StaffView.access_actions, "POST": "acknowledge"}

    @extend_schema(summary="Acknowledge several received reports at once",
                   request=s.BulkAcknowledgeInput, parameters=[SCHEMA_PARAMETER],
                   responses={200: s.BulkResultOut, 400: ERROR_400, 404: ERROR_404,
                              **SCHEMA_RESPONSES},
                   tags=TAGS)
    @idempotent(replay_headers=no_headers)
    def post(self, request):
        d = self.parse(s.BulkAcknowledgeInput, request.data)
        return self.run(
            lambda: services.bulk_acknowledge(actor=request.user, report_ids=d["report_ids"]),
            lambda r: {"acknowledged": r.acknowledged,
                       "skipped": [{"report": ref, "reason": str(why)} for ref, why in r.skipped]})


class _CaseItems(StaffView):
    """GET lists one kind of item of a case; POST adds one through `add` (an exchanges
    service taking the fields of `input_serializer` as keyword arguments)."""

    access_kwarg = "report_id"
    item_serializer: Any = None
    input_serializer: Any = None
    add: Any = None
    kind = ""

    def get(self, request, report_id: int):
        items = queries.case_items(actor=request.user, report=self.object, kind=self.kind)
        return Response(self.item_serializer(items, many=True).data)

    @idempotent(replay_headers=no_headers)
    def post(self, request, report_id: int):
        d = self.parse(self.input_serializer, request.data)
        add = type(self).add
        return self.run(lambda: add(actor=request.user, report_id=report_id, **d),
                        lambda item: self.item_serializer(item).data, status.HTTP_201_CREATED)


def _items_schema(item, request, listed: str, added: str):
    """The OpenAPI description of a `_CaseItems` view."""
    return extend_schema_view(
        get=extend_schema(summary=listed, responses={200: item(many=True), 404: ERROR_404},
                          tags=TAGS),
        post=extend_schema(summary=added, request=request, parameters=[SCHEMA_PARAMETER],
                           responses={201: item, 400: ERROR_400, 404: ERROR_404,
                                      **SCHEMA_RESPONSES}, tags=TAGS))


@_items_schema(s.NoteOut, s.TextInput, "Internal notes of a case (never shown to the "
               "establishment)", "Add an internal note")
class NotesView(_CaseItems):
    access_actions = {**StaffView.access_actions, "POST": "note"}
    item_serializer, input_serializer, kind = s.NoteOut, s.TextInput, "notes"
    add = staticmethod(exchanges.add_note)


@_items_schema(s.MessageOut, s.TextInput, "Messages exchanged with the establishment",
               "Send a message to the establishment")
class MessagesView(_CaseItems):
    access_actions = {**StaffView.access_actions, "POST": "message"}
    item_serializer, input_serializer, kind = s.MessageOut, s.TextInput, "messages"
    add = staticmethod(exchanges.send_message)


@_items_schema(s.SupportOut, s.SupportInput, "Support given on a case",
               "Record support given")
class SupportView(_CaseItems):
    access_actions = {**StaffView.access_actions, "POST": "support"}
    item_serializer, input_serializer, kind = s.SupportOut, s.SupportInput, "supports"
    add = staticmethod(exchanges.record_support)
