"""`POST /api/v1/intel/stix/` or `/api/v1/intel/misp/`: send a STIX bundle or a MISP event
for the CERT's analysts to review (a JSON body up to 2 MB, or a multipart `file` up to
20 MB). CERT staff tokens only; anyone else gets 404. Answers 201 with the stored item
(200 when the same payload was already received from this account), 400 with a clear
message otherwise."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from vigisante.core.api_views import RestrictedAPIView
from vigisante.sharing import intel
from vigisante.sharing.models import IncomingIntel


class RawJSONParser(BaseParser):
    """Keeps the body as bytes: `ingest_intel` decodes and checks it."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class StixParser(RawJSONParser):
    media_type = "application/stix+json"


@extend_schema(
    summary="Send a STIX 2.x bundle or a MISP event for review",
    tags=["sharing"],
    request={"application/json": OpenApiTypes.OBJECT},
    responses={201: inline_serializer("IncomingIntel", {
        "id": serializers.IntegerField(), "title": serializers.CharField(),
        "format": serializers.CharField(), "status": serializers.CharField(),
        "objects": serializers.IntegerField(), "candidates": serializers.IntegerField(),
        "duplicate": serializers.BooleanField(), "url": serializers.CharField()})},
)
class IntelCreate(RestrictedAPIView):
    access_model = IncomingIntel
    access_actions = {"POST": "submit", "OPTIONS": "submit"}
    parser_classes = [RawJSONParser, StixParser, MultiPartParser]

    def post(self, request, fmt: str):
        data = request.data
        if hasattr(data, "get") and not isinstance(data, (bytes, bytearray)):
            upload = data.get("file")
            if upload is None:
                raise exceptions.ValidationError({"file": ["Send the JSON as the body or as "
                                                           "a \"file\" field."]})
            if upload.size > intel.MAX_BYTES:
                raise exceptions.ValidationError({"file": ["Too large."]})
            data = upload.read()
        try:
            item = intel.ingest_intel(source=f"api: {request.user.email}", fmt=fmt,
                                      payload=data, actor=request.user)
        except ValidationError as exc:
            raise exceptions.ValidationError({"detail": exc.messages}) from None
        body = {"id": item.pk, "title": item.title, "format": item.format,
                "status": item.status, "objects": item.object_count,
                "candidates": item.candidates.count(), "duplicate": item.duplicate,
                "url": reverse("sharing:intel-detail", args=[item.pk])}
        return Response(body, status=status.HTTP_200_OK if item.duplicate
                        else status.HTTP_201_CREATED)
