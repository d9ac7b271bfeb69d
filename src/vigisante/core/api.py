"""API helpers shared by every app."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)


def exception_handler(exc, context):
    """Turn domain validation errors into 400 JSON naming the field; never a 500 for input.

    Input too far out of range for Python or the database (a date such as 0001-01-01 that
    moves before year 1 once in UTC, JSON nested past the recursion limit) is a 400 too,
    whatever endpoint or field it reaches: the write transaction around it has already
    rolled back when the exception arrives here."""
    if isinstance(exc, OverflowError):
        log.warning("value out of range in %s: %s", type(context.get("view")).__name__, exc)
        exc = exceptions.ValidationError(
            {"detail": [str(_("A value is out of range (a date too far in the past or the "
                              "future?)."))]})
    elif isinstance(exc, RecursionError):
        exc = exceptions.ParseError(_("JSON parse error: nested too deeply."))
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            detail = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        else:
            detail = {"non_field_errors": [str(m) for m in exc.messages]}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.NotFound()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class SafeJSONParser(JSONParser):
    """JSON bodies; one nested too deeply (`[[[[...]]]]` a thousand times) is a 400, not a
    RecursionError and a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error: nested too deeply.")) from None


def page_of(child: type[serializers.Serializer], *, name: str, capped: bool = False
            ) -> type[serializers.Serializer]:
    """The schema of a limit/offset page of `child` rows, for views that paginate by hand
    (drf-spectacular would otherwise document a bare array)."""
    fields: dict = {
        "count": serializers.IntegerField(),
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "results": child(many=True),
    }
    if capped:
        fields["count_capped"] = serializers.BooleanField()
    return type(name, (serializers.Serializer,), fields)
