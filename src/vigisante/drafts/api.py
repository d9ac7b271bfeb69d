"""The drafts API (/api/v1/reports/<id>/drafts/): the drafts of a report with their gaps, each
readable as JSON, text, PDF, ODT and DOCX; the drafts' facts; recording a draft as sent."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from vigisante.core.api_views import IsAuthenticatedAndVerified, write_transaction
from vigisante.drafts import facts, render, services
from vigisante.drafts.render import FORMATS

TAGS = ["drafts"]
LANG = OpenApiParameter("lang", OpenApiTypes.STR, enum=["fr", "en"],
                        description="Language of the draft (default: fr).")
ERROR_400 = OpenApiResponse(OpenApiTypes.OBJECT,
                            description='Bad input: `{"field": ["message"]}`.')
ERROR_404 = OpenApiResponse(OpenApiTypes.OBJECT,
                            description="No such report (among yours) or no such draft.")


class GapOut(serializers.Serializer):
    name = serializers.CharField()
    # the JSON key is "label"; the attribute shadows Field.label, the field's own title
    label = serializers.CharField()  # type: ignore[assignment]
    where = serializers.CharField(help_text="notification, final, facts, dpo, cert or empty")


class SubmissionOut(serializers.Serializer):
    sent_at = serializers.DateTimeField()
    reference = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class DraftRowOut(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    legal_basis = serializers.CharField()
    recipient = serializers.CharField()
    clock_state = serializers.CharField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField(help_text="to_draft, drafted, late or sent")
    gaps = GapOut(many=True)
    submissions = SubmissionOut(many=True)
    url = serializers.CharField()


class DraftOut(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    legal_basis = serializers.CharField()
    language = serializers.CharField()
    text = serializers.CharField()
    gaps = GapOut(many=True)
    template_version = serializers.IntegerField()
    report_version = serializers.IntegerField()
    facts_hash = serializers.CharField()
    downloads = serializers.DictField(child=serializers.CharField())


class SentIn(serializers.Serializer):
    sent_at = serializers.DateTimeField()
    reference = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                      default="")


def _language(request: Request) -> str:
    return services.check_language(request.query_params.get("lang"))


def _gap(g: services.Gap) -> dict[str, str]:
    return {"name": g.name, "label": g.label, "where": g.where}


def _url(request: Request, name: str, *args: Any, language: str) -> str:
    return request.build_absolute_uri(reverse(name, args=args)) + f"?lang={language}"


class DraftList(GenericAPIView):
    permission_classes = [IsAuthenticatedAndVerified]
    serializer_class = DraftRowOut

    @extend_schema(operation_id="drafts_list", summary="The drafts of a report, with their gaps",
                   description="One per regulatory deadline that runs for the report.",
                   parameters=[LANG], responses={200: DraftRowOut(many=True), 400: ERROR_400,
                                                 404: ERROR_404}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        language = _language(request)
        report, rows = services.overview(actor=request.user, report_id=pk, language=language)
        return Response([{
            "kind": r.kind.kind, "title": str(r.kind.title), "legal_basis": r.kind.legal_basis,
            "recipient": str(r.kind.recipient),
            "clock_state": r.clock.state if r.clock else None,
            "due_at": r.clock.due_at if r.clock else None, "status": r.status,
            "gaps": [_gap(g) for g in r.gaps],
            "submissions": [{"sent_at": s.sent_at, "reference": s.reference,
                             "recorded_at": s.recorded_at} for s in r.submissions],
            "url": _url(request, "drafts-api:detail", report.pk, r.kind.kind,
                        language=language),
        } for r in rows])


class DraftDetail(GenericAPIView):
    permission_classes = [IsAuthenticatedAndVerified]
    serializer_class = DraftOut

    @extend_schema(operation_id="drafts_retrieve", summary="One draft, as text with its gaps",
                   parameters=[LANG], responses={200: DraftOut, 400: ERROR_400,
                                                 404: ERROR_404}, tags=TAGS)
    def get(self, request: Request, pk: int, kind: str) -> Response:
        built = services.build(actor=request.user, report_id=pk, kind=kind,
                               language=_language(request))
        return Response({
            "kind": built.kind.kind, "title": str(built.kind.title),
            "legal_basis": built.template.legal_basis, "language": built.language,
            "text": built.text, "gaps": [_gap(g) for g in built.gaps],
            "template_version": built.template.version,
            "report_version": built.report.version, "facts_hash": built.facts_hash,
            "downloads": {fmt: _url(request, "drafts-api:file", pk, kind, fmt,
                                    language=built.language) for fmt in FORMATS},
        })


class DraftFile(GenericAPIView):
    permission_classes = [IsAuthenticatedAndVerified]

    @extend_schema(operation_id="drafts_file", summary="One draft as a file (txt, pdf, odt, docx)",
                   parameters=[LANG], responses={
                       (200, "text/plain"): OpenApiTypes.STR,
                       (200, "application/pdf"): OpenApiTypes.BINARY,
                       (200, FORMATS["odt"][0]): OpenApiTypes.BINARY,
                       (200, FORMATS["docx"][0]): OpenApiTypes.BINARY,
                       400: ERROR_400, 404: ERROR_404}, tags=TAGS)
    def get(self, request: Request, pk: int, kind: str, fmt: str) -> HttpResponse:
        if fmt not in FORMATS:
            raise ValidationError({"format": ["txt, pdf, odt or docx."]})
        built = services.build(actor=request.user, report_id=pk, kind=kind,
                               language=_language(request))
        content_type, make = FORMATS[fmt]
        response = HttpResponse(make(built), content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{render.filename(built, fmt)}"')
        return response


class DraftBundle(GenericAPIView):
    permission_classes = [IsAuthenticatedAndVerified]

    @extend_schema(operation_id="drafts_bundle",
                   summary="Every draft of a report in every format, in one ZIP",
                   description="<reference>-<kind>-<lang>.<txt|pdf|odt|docx> for each draft "
                   "the report's running clocks call for; 404 when none is.",
                   parameters=[LANG], responses={(200, "application/zip"): OpenApiTypes.BINARY,
                                                 400: ERROR_400, 404: ERROR_404}, tags=TAGS)
    def get(self, request: Request, pk: int) -> HttpResponse:
        _report, builts = services.build_all(actor=request.user, report_id=pk,
                                             language=_language(request))
        if not builts:
            raise Http404
        response = HttpResponse(render.bundle(builts), content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="{render.bundle_name(builts)}"')
        return response


class DraftFacts(GenericAPIView):
    permission_classes = [IsAuthenticatedAndVerified]

    @extend_schema(operation_id="drafts_facts_retrieve", summary="The drafts' own facts",
                   description="Facts the drafts need that the report form does not ask: "
                   + ", ".join(facts.EXTRA_FACTS) + ".",
                   responses={200: OpenApiTypes.OBJECT, 404: ERROR_404}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        report = services.get_report(request.user, pk, "complete_drafts")
        return Response(services.current_facts(report))

    @extend_schema(operation_id="drafts_facts_update",
                   summary="Set some of the drafts' facts (an empty string removes one)",
                   request=OpenApiTypes.OBJECT,
                   responses={200: OpenApiTypes.OBJECT, 400: ERROR_400, 404: ERROR_404},
                   tags=TAGS)
    def patch(self, request: Request, pk: int) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"__all__": ["Send a JSON object of facts."]})
        with write_transaction():
            return Response(services.save_facts(actor=request.user, report_id=pk,
                                                data=dict(request.data)))


class DraftSent(GenericAPIView):
    permission_classes = [IsAuthenticatedAndVerified]
    serializer_class = SentIn

    @extend_schema(operation_id="drafts_sent", summary="Record a draft as sent",
                   description="Where the report holds that date (CNIL notification, "
                   "complaint), the first sending fills it, which closes the clock; a NIS2 "
                   "early warning, notification or final report closes its NIS2 clock.",
                   request=SentIn, responses={201: SubmissionOut, 400: ERROR_400,
                                              404: ERROR_404}, tags=TAGS)
    def post(self, request: Request, pk: int, kind: str) -> Response:
        data = SentIn(data=request.data)
        data.is_valid(raise_exception=True)
        with write_transaction():
            row = services.record_sent(actor=request.user, report_id=pk, kind=kind,
                                       sent_at=data.validated_data["sent_at"],
                                       reference=data.validated_data["reference"])
        return Response({"sent_at": row.sent_at, "reference": row.reference,
                         "recorded_at": row.recorded_at}, status=201)
