"""The reports API: thin views that parse, call one service and serialise.

Access: every view applies the policy (vigisante.core.access, rules in reports/access.py)
through `RestrictedAPIView` before any parsing; a refusal is a 404 JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from vigisante.core.api import SafeJSONParser
from vigisante.core.api_views import (
    AccessMixin,
    IsAuthenticatedAndVerified,
    RestrictedAPIView,
    write_transaction,
)
from vigisante.reports import downloads, services
from vigisante.reports import serializers as s
from vigisante.reports.filters import ReportFilters
from vigisante.reports.idempotency import SCHEMA_PARAMETER, SCHEMA_RESPONSES, idempotent
from vigisante.reports.models import Channel, Report, ReportUpdate

log = logging.getLogger(__name__)

ERROR_400 = OpenApiResponse(OpenApiTypes.OBJECT, description='Bad input: `{"field": '
                            '["message"]}` naming each field, or `{"detail": "message"}`.')
ERROR_404 = OpenApiResponse(OpenApiTypes.OBJECT,
                            description="No such report among those you may see.")
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description='The version you read, e.g. `"3"` (the ETag of the report); same as the '
    "`version` field of the body.",
)
UPLOAD_SLACK = 64 * 1024  # multipart framing around the file itself


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


class _JsonErrors:
    """Django's request-parsing errors as JSON: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a
    413, other malformed requests a 400 (instead of Django's HTML 400)."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            exc = RequestTooLarge(
                _("The request body is too large (at most %(n)d bytes).")
                % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
        elif isinstance(exc, SuspiciousOperation):  # too many fields or files, ...
            exc = exceptions.ParseError(str(exc) or _("Malformed request."))
        return super().handle_exception(exc)  # type: ignore[misc]


class ReportPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class _Base(_JsonErrors, RestrictedAPIView):
    access_model = Report
    parser_classes = [SafeJSONParser]

    def context(self) -> dict[str, Any]:
        return {"request": self.request, "view": self}


class _ReportScoped(_Base):
    """Views under /reports/<pk>/: the policy fetches the report (`self.report`) with the
    method's action before any parsing; GET is "view", POST and PATCH are "change"."""

    access_kwarg = "pk"
    access_actions = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "change",
                      "PATCH": "change"}

    @property
    def report(self) -> Report:
        return self.object


def _with_details():
    return Report.objects.select_related("establishment").prefetch_related(
        Prefetch("updates", queryset=ReportUpdate.objects.select_related("author")),
        "attachments",
    )


def _detail_queryset(user):
    return _with_details().restrict(user, "view")


def _detail_response(view: _Base, report: Report, **kwargs: Any) -> Response:
    data = s.ReportDetail(report, context=view.context()).data
    response = Response(data, **kwargs)
    response["ETag"] = f'"{report.version}"'
    return response


class ReportListCreate(_JsonErrors, AccessMixin, GenericAPIView):
    """`GET` lists the reports you may see, newest first; `POST` files an early warning."""

    permission_classes = [IsAuthenticatedAndVerified]
    access_model = Report
    access_actions = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "create"}
    parser_classes = [SafeJSONParser]
    pagination_class = ReportPagination

    def get_serializer_class(self):
        return s.EarlyWarningInput if self.request.method == "POST" else s.ReportSummary

    def get_queryset(self):
        return Report.objects.restrict(self.request.user, "view").select_related("establishment")

    @extend_schema(
        operation_id="reports_list", parameters=[s.ReportFilter],
        responses={200: s.ReportSummary(many=True), 400: ERROR_400}, tags=["reports"],
    )
    def get(self, request: Request) -> Response:
        filters = s.ReportFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        qs = ReportFilters.of(f).apply(self.get_queryset())
        page = self.paginate_queryset(qs)
        data = s.ReportSummary(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="reports_create", request=s.EarlyWarningInput,
        parameters=[SCHEMA_PARAMETER],
        responses={201: s.ReportDetail, 400: ERROR_400, 413: ERROR_400, 415: ERROR_400,
                   **SCHEMA_RESPONSES},
        tags=["reports"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        ser = s.EarlyWarningInput(data=request.data, context=self.get_serializer_context())
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        channel = data.pop("channel", Channel.API)
        with write_transaction():
            report = services.create_early_warning(actor=request.user, data=data,
                                                   channel=channel)
        out = s.ReportDetail(report, context={**self.get_serializer_context(), "new": True}).data
        response = Response(out, status=status.HTTP_201_CREATED, headers={"Location": out["url"]})
        response["ETag"] = f'"{report.version}"'
        return response


class ReportDetailView(_Base):
    access_kwarg = "pk"

    def access_queryset(self):
        return _with_details()

    @extend_schema(operation_id="reports_retrieve", responses={200: s.ReportDetail,
                                                                404: ERROR_404},
                   tags=["reports"])
    def get(self, request: Request, pk: int) -> Response:
        """A report with its updates and attachments (metadata), `version` and what is missing."""
        return _detail_response(self, self.object)


def _expected_version(body_version: int | None, if_match: str | None) -> int | None:
    """The version the client read: from the body or an If-Match header (`"3"`, `W/"3"`)."""
    header_version = None
    if if_match is not None and if_match.strip() not in ("", "*"):
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not tag.isdigit() or len(tag) > 10:
            raise exceptions.ValidationError({"If-Match": [
                _('Send the version you read, e.g. If-Match: "3".')
            ]})
        header_version = int(tag)
    if body_version is not None and header_version is not None \
            and body_version != header_version:
        raise exceptions.ValidationError({"version": [
            _("The version in the body and in the If-Match header differ.")
        ]})
    return body_version if body_version is not None else header_version


class _StageView(_ReportScoped):
    input_class: type = s.NotificationInput
    service = staticmethod(services.save_notification)

    def patch(self, request: Request, pk: int) -> Response:
        ser = self.input_class(data=request.data, partial=True, context=self.context())
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        complete = bool(data.pop("complete", False))
        version = _expected_version(data.pop("version", None), request.headers.get("If-Match"))
        try:
            with write_transaction():
                self.service(actor=request.user, report_id=pk, data=data, complete=complete,
                             expected_version=version)
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict") and "version" in exc.error_dict:
                return self._conflict(request, pk, exc)
            raise
        return _detail_response(self, _detail_queryset(request.user).get(pk=pk))

    def _conflict(self, request: Request, pk: int, exc: DjangoValidationError) -> Response:
        messages = [str(m) for e in exc.error_dict["version"] for m in e.messages]
        current = (Report.objects.restrict(request.user, "view").filter(pk=pk)
                   .values_list("version", flat=True).first())
        return Response({"detail": messages[0], "version": messages, "current_version": current},
                        status=status.HTTP_409_CONFLICT)


_STAGE_RESPONSES = {200: s.ReportDetail, 400: ERROR_400, 404: ERROR_404,
                    409: OpenApiResponse(s.ConflictOutput,
                                         description="Edit conflict: the version you sent is "
                                         "not the current one. Nothing was written.")}


class NotificationView(_StageView):
    input_class = s.NotificationInput
    service = staticmethod(services.save_notification)

    @extend_schema(operation_id="reports_notification", request=s.NotificationInput,
                   parameters=[IF_MATCH], responses=_STAGE_RESPONSES, tags=["reports"])
    def patch(self, request: Request, pk: int) -> Response:
        """Save the notification stage, partially; `"complete": true` submits it."""
        return super().patch(request, pk)


class FinalView(_StageView):
    input_class = s.FinalInput
    service = staticmethod(services.save_final)

    @extend_schema(operation_id="reports_final", request=s.FinalInput,
                   parameters=[IF_MATCH], responses=_STAGE_RESPONSES, tags=["reports"])
    def patch(self, request: Request, pk: int) -> Response:
        """Save the final report, partially; `"complete": true` closes the report."""
        return super().patch(request, pk)


class UpdateListCreate(_ReportScoped):
    @extend_schema(operation_id="reports_updates_list",
                   responses={200: s.UpdateOutput(many=True), 404: ERROR_404},
                   tags=["reports"])
    def get(self, request: Request, pk: int) -> Response:
        """The report's timeline of dated updates, oldest first."""
        updates = self.report.updates.select_related("author")
        return Response(s.UpdateOutput(updates, many=True, context=self.context()).data)

    @extend_schema(operation_id="reports_updates_create", request=s.UpdateInput,
                   parameters=[SCHEMA_PARAMETER],
                   responses={201: s.UpdateOutput, 400: ERROR_400, 404: ERROR_404,
                              **SCHEMA_RESPONSES},
                   tags=["reports"])
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Add a dated entry to the report's timeline."""
        ser = s.UpdateInput(data=request.data, context=self.context())
        ser.is_valid(raise_exception=True)
        with write_transaction():
            update = services.add_update(actor=request.user, report_id=pk,
                                         text=ser.validated_data["text"],
                                         at=ser.validated_data.get("created_at"))
        return Response(s.UpdateOutput(update, context=self.context()).data,
                        status=status.HTTP_201_CREATED)


class AttachmentListCreate(_ReportScoped):
    parser_classes = [MultiPartParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.MAX_ATTACHMENT_BYTES
            if length > limit + UPLOAD_SLACK:  # refuse before reading the upload
                raise exceptions.ValidationError({"file": [
                    _("The file is too large (at most %(max)d MiB).")
                    % {"max": limit // (1024 * 1024)}
                ]})

    @extend_schema(operation_id="reports_attachments_list",
                   responses={200: s.AttachmentOutput(many=True), 404: ERROR_404},
                   tags=["reports"])
    def get(self, request: Request, pk: int) -> Response:
        """The report's attachments (metadata and download URL)."""
        return Response(s.AttachmentOutput(self.report.attachments.all(), many=True,
                                           context=self.context()).data)

    @extend_schema(operation_id="reports_attachments_create",
                   request={"multipart/form-data": s.AttachmentInput},
                   parameters=[SCHEMA_PARAMETER],
                   responses={201: s.AttachmentOutput, 400: ERROR_400, 404: ERROR_404,
                              415: ERROR_400, **SCHEMA_RESPONSES},
                   tags=["reports"])
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Attach a file (multipart field `file`); size and type are checked."""
        ser = s.AttachmentInput(data=request.data, context=self.context())
        ser.is_valid(raise_exception=True)
        with write_transaction():
            att = services.add_attachment(actor=request.user, report_id=pk,
                                          uploaded=ser.validated_data["file"])
        return Response(s.AttachmentOutput(att, context=self.context()).data,
                        status=status.HTTP_201_CREATED)


class _AnyAccept(BaseContentNegotiation):
    """A download answers whatever the client accepts; errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AttachmentDownload(_Base):
    access_kwarg = "pk"
    access_actions = {"GET": "download", "HEAD": "download", "OPTIONS": "view"}
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _AnyAccept

    @extend_schema(operation_id="reports_attachments_download",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              404: ERROR_404},
                   tags=["reports"])
    def get(self, request: Request, pk: int, aid: int):
        """Download one attachment (as a file, never rendered inline)."""
        att = services.open_attachment(actor=request.user, report_id=pk, attachment_id=aid)
        try:
            return downloads.attachment_response(att)
        except downloads.AttachmentMissing as exc:
            raise exceptions.NotFound(str(exc)) from None
