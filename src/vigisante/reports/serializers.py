"""JSON shapes of the reports API: strict input serializers and read-only outputs.

Input serializers only parse and type-check; the rules (future dates, which establishments a
user may report for, stage completion) live in `reports.services`, which the views call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from vigisante.core import access
from vigisante.establishments.models import Category
from vigisante.establishments.regions import REGIONS
from vigisante.reports import services
from vigisante.reports.models import (
    Attachment,
    Channel,
    Report,
    ReportUpdate,
    Stage,
    System,
    TriState,
)

# Channels an API caller may name: reporters file through the API itself; the CERT also
# records reports received by phone, e-mail or the web form on behalf of an establishment.
STAFF_CHANNELS = [Channel.API, Channel.PHONE, Channel.EMAIL, Channel.WEB]
MAX_INT = 2**31 - 1
MAX_BIGINT = 2**63 - 1


class StrictMixin:
    """Reject fields the endpoint does not know, so a typo is not silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            fields = self.fields  # type: ignore[attr-defined]
            names = sorted(str(k) for k in data if k not in fields)
            unknown = {k[:100]: [str(_("Unknown field."))] for k in names[:20]}
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


@extend_schema_field(OpenApiTypes.INT)
class EstablishmentField(serializers.PrimaryKeyRelatedField):
    """An establishment id, among those the requesting user may report for."""

    default_error_messages = {
        "required": _("Choose one of your establishments."),
        "does_not_exist": _("Choose one of your establishments (no establishment "
                            "{pk_value} among yours)."),
        "incorrect_type": _("Give the establishment's id (an integer), not {data_type}."),
    }

    def get_queryset(self):
        return services.establishments_for(self.context["request"].user)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < pk <= MAX_BIGINT:
            self.fail("does_not_exist", pk_value=pk)
        return super().to_internal_value(pk)


class EarlyWarningInput(StrictMixin, serializers.Serializer):
    """The first stage: at most eight fields, fileable in two minutes.

    Declared by hand rather than as a ModelSerializer: building a ModelSerializer's fields on
    every request costs more than the rest of the parsing (this is the intake hot path).
    """

    establishment = EstablishmentField(help_text="Id of one of your establishments.")
    description = serializers.CharField(max_length=services.TEXT_LIMITS["description"],
                                        help_text="What is happening, in a few words.")
    discovered_at = serializers.DateTimeField(help_text="When it was found; not in the future.")
    ongoing = serializers.BooleanField(required=False, help_text="Still ongoing? Default true.")
    suspected_malicious = serializers.ChoiceField(choices=TriState.choices, required=False)
    patient_care_affected = serializers.ChoiceField(choices=TriState.choices, required=False)
    support_requested = serializers.BooleanField(required=False,
                                                 help_text="Does the establishment ask the "
                                                 "CERT for support? Default false.")
    callback_phone = serializers.CharField(max_length=30, required=False, allow_blank=True,
                                           help_text="A number to call back (e-mail may be "
                                           "down).")
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False,
        help_text="Reporters: `api` (the default). CERT staff recording a report received by "
        "another channel: `phone`, `email` or `web`.",
    )

    def validate_channel(self, value: str) -> str:
        user = self.context["request"].user
        on_behalf = access.allowed(user, "record_on_behalf", Report)
        allowed = STAFF_CHANNELS if on_behalf else [Channel.API]
        if value not in allowed:
            raise serializers.ValidationError(
                _("Use one of: %(channels)s.") % {"channels": ", ".join(allowed)}
                if on_behalf else
                _("Only the CERT records reports received by another channel.")
            )
        return value


class _StageInput(StrictMixin, serializers.ModelSerializer):
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, required=False,
        help_text="The version you read (optimistic concurrency); or send an If-Match header.",
    )
    complete = serializers.BooleanField(
        required=False, default=False,
        help_text="true to submit the stage once its required fields are filled.",
    )


class NotificationInput(_StageInput):
    systems_hit = serializers.ListField(
        child=serializers.ChoiceField(choices=System.choices), max_length=len(System),
        required=False,
    )
    people_affected = serializers.IntegerField(
        min_value=0, max_value=MAX_INT, allow_null=True, required=False
    )
    records_affected = serializers.IntegerField(
        min_value=0, max_value=MAX_BIGINT, allow_null=True, required=False
    )

    class Meta:
        model = Report
        fields = [*services.NOTIFICATION_FIELDS, "version", "complete"]


class FinalInput(_StageInput):
    class Meta:
        model = Report
        fields = [*services.FINAL_FIELDS, "version", "complete"]


class UpdateInput(StrictMixin, serializers.Serializer):
    text = serializers.CharField(max_length=10_000)
    created_at = serializers.DateTimeField(
        required=False, help_text="When it happened; default: now. Not in the future."
    )


class AttachmentInput(StrictMixin, serializers.Serializer):
    file = serializers.FileField(max_length=255, allow_empty_file=False)


class ReportFilter(serializers.Serializer):
    """Query parameters of the report list (the same filters as the CERT's list page)."""

    q = serializers.CharField(required=False, max_length=100, help_text="Part of the "
                              "reference, part of the establishment's name, or its FINESS.")
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    establishment = serializers.IntegerField(min_value=1, max_value=MAX_BIGINT, required=False)
    region = serializers.ChoiceField(choices=sorted(REGIONS), required=False,
                                     help_text="Region code of the establishment.")
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    suspected_malicious = serializers.ChoiceField(choices=TriState.choices, required=False)
    patient_care_affected = serializers.ChoiceField(choices=TriState.choices, required=False)
    support_requested = serializers.BooleanField(required=False, allow_null=True)
    ongoing = serializers.BooleanField(required=False, allow_null=True)
    created_after = serializers.DateTimeField(
        required=False, help_text="Received at or after this date/time (ISO 8601)."
    )
    created_before = serializers.DateTimeField(
        required=False, help_text="Received before this date/time (ISO 8601)."
    )


# --- outputs ---------------------------------------------------------------------------


class ReportEstablishment(serializers.Serializer):
    id = serializers.IntegerField()
    finess = serializers.CharField()
    name = serializers.CharField()


class UpdateOutput(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = ReportUpdate
        fields = ["id", "created_at", "text", "author"]

    def get_author(self, obj: ReportUpdate) -> str:
        return str(obj.author) if obj.author_id else ""


class AttachmentOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "sha256", "created_at", "url"]

    def get_url(self, obj: Attachment) -> str:
        return reverse("reports-api:attachment-download", args=[obj.report_id, obj.pk],
                       request=self.context.get("request"))


class _FastReportMixin:
    """Render a report without building the serializer's fields.

    A ModelSerializer builds its ~50 fields anew for every instance it is created for, which
    costs more than the rest of an intake request. The fields are still declared (they make the
    OpenAPI schema); `to_representation` converts the values directly, and a test checks that
    both give the same JSON.
    """

    Meta: Any
    _converters: list[tuple[str, Any]] | None = None

    @classmethod
    def _plan(cls) -> list[tuple[str, Any]]:
        if cls.__dict__.get("_converters") is None:
            datetime_field = serializers.DateTimeField()
            plan: list[tuple[str, Any]] = []
            for name in cls.Meta.fields:
                if name in ("url", "establishment", "missing_stages", "updates",
                            "attachments"):
                    plan.append((name, None))
                    continue
                kind = Report._meta.get_field(name).get_internal_type()
                if kind == "DateTimeField":
                    plan.append((name, datetime_field.to_representation))
                elif kind == "DateField":
                    plan.append((name, lambda v: v.isoformat() if v is not None else None))
                else:
                    plan.append((name, False))
            cls._converters = plan
        return cls._converters  # type: ignore[return-value]

    def to_representation(self, obj: Report) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, convert in self._plan():
            if convert is None:
                out[name] = self._special(name, obj)
                continue
            value = getattr(obj, name)
            if convert and value is not None:
                value = convert(value)
            out[name] = value
        return out

    def _special(self, name: str, obj: Report) -> Any:
        if name == "url":
            return self.get_url(obj)
        if name == "establishment":
            est = obj.establishment
            return None if est is None else {"id": est.pk, "finess": est.finess,
                                             "name": est.name}
        if name == "missing_stages":
            return [str(stage) for stage in obj.missing_stages]
        return getattr(self, f"get_{name}")(obj)

    def get_url(self, obj: Report) -> str:
        return reverse("reports-api:report-detail", args=[obj.pk],
                       request=self.context.get("request"))  # type: ignore[attr-defined]


class ReportSummary(_FastReportMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    establishment = ReportEstablishment()
    missing_stages = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Report
        fields = [
            "id", "url", "reference", "establishment", "channel", "stage", "version",
            "missing_stages", "created_at", "updated_at", "description", "discovered_at",
            "ongoing", "suspected_malicious", "patient_care_affected", "support_requested",
        ]
        read_only_fields = fields


class ReportDetail(ReportSummary):
    updates = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta(ReportSummary.Meta):
        fields = [
            *ReportSummary.Meta.fields, "callback_phone", "notification_at",
            *services.NOTIFICATION_FIELDS, "final_at", *services.FINAL_FIELDS,
            "updates", "attachments",
        ]
        read_only_fields = fields

    @extend_schema_field(UpdateOutput(many=True))
    def get_updates(self, obj: Report) -> list[dict]:
        if self.context.get("new"):
            return []  # just created: nothing to query
        return list(UpdateOutput(obj.updates.all(), many=True, context=self.context).data)

    @extend_schema_field(AttachmentOutput(many=True))
    def get_attachments(self, obj: Report) -> list[dict]:
        if self.context.get("new"):
            return []
        return list(AttachmentOutput(obj.attachments.all(), many=True,
                                     context=self.context).data)


class ConflictOutput(serializers.Serializer):
    detail = serializers.CharField()
    version = serializers.ListField(child=serializers.CharField())
    current_version = serializers.IntegerField(allow_null=True)

