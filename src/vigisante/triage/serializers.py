"""JSON shapes of the triage API: inputs are validated here, decisions stay in services."""

from __future__ import annotations

from rest_framework import serializers

from vigisante.core.taxonomy import Kind, Origin
from vigisante.establishments.models import Category
from vigisante.establishments.regions import REGIONS
from vigisante.triage import domain
from vigisante.triage.domain import (
    AttackVector,
    DetectionSource,
    DetectionStage,
    RansomwareExtent,
    Severity,
    State,
    SupportType,
)
from vigisante.triage.queries import SORTS

# --- inputs ----------------------------------------------------------------------------------


def _optional(choices):
    return serializers.ChoiceField(choices=choices, required=False, allow_blank=True,
                                   default="")


class QueueQuery(serializers.Serializer):
    state = _optional(State.choices)
    severity = _optional(Severity.choices)
    kind = _optional(Kind.choices)
    region = _optional(sorted(REGIONS.items()))
    category = _optional(Category.choices)
    assigned = _optional([("me", "me"), ("none", "none")])
    overdue = serializers.BooleanField(required=False, default=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    sort = _optional([(k, k) for k in SORTS])


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, help_text=(
        "The case version you read; a stale one is refused with 409 and nothing is saved."))


class QualifyInput(VersionInput):
    origin = serializers.ChoiceField(choices=Origin.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_blank=True, default="",
        help_text="Empty: the suggested severity. Another value needs a comment.")
    attack_vector = _optional(AttackVector.choices)
    detection_source = _optional(DetectionSource.choices)
    detection_stage = _optional(DetectionStage.choices)
    ransomware_extent = _optional(RansomwareExtent.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=domain.MAX_COMMENT, trim_whitespace=False)


class TransitionInput(VersionInput):
    to_state = serializers.ChoiceField(choices=State.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=domain.MAX_COMMENT, trim_whitespace=False)
    duplicate_of = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default="", max_length=50,
        help_text="The original report of a duplicate: its id or its reference.")


class AssignInput(VersionInput):
    assigned_to = serializers.IntegerField(allow_null=True, min_value=1,
                                           help_text="A user id of an analyst, or null.")


class BulkAcknowledgeInput(serializers.Serializer):
    report_ids = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                       allow_empty=False, max_length=500)


class TextInput(serializers.Serializer):
    text = serializers.CharField(max_length=domain.MAX_TEXT, trim_whitespace=False)


class SupportInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=SupportType.choices)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    out_of_hours = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="Absent or null: derived from the start (weekends, before 8:00, from 19:00, "
                  "Paris time).")
    notes = serializers.CharField(required=False, allow_blank=True, default="",
                                  max_length=domain.MAX_TEXT, trim_whitespace=False)


# --- outputs ---------------------------------------------------------------------------------


class UserBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class EstablishmentBrief(serializers.Serializer):
    id = serializers.IntegerField()
    finess = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    region = serializers.CharField()


class QueueRow(serializers.Serializer):
    """One report of the queue with its case."""

    id = serializers.IntegerField(help_text="The report id (the case is addressed by it).")
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()
    stage = serializers.CharField()
    establishment = EstablishmentBrief()
    state = serializers.CharField(source="case.state", default=State.RECEIVED)
    severity = serializers.CharField(source="case.severity", default="")
    kind = serializers.CharField(source="case.kind", default="")
    origin = serializers.CharField(source="case.origin", default="")
    assigned_to = UserBrief(source="case.assigned_to", allow_null=True, default=None)
    version = serializers.IntegerField(source="case.version", default=1)
    overdue_clocks = serializers.IntegerField()
    next_due_at = serializers.DateTimeField(allow_null=True)


class QualificationOut(serializers.Serializer):
    at = serializers.DateTimeField()
    by = UserBrief(allow_null=True)
    origin = serializers.CharField()
    kind = serializers.CharField()
    rsit_class = serializers.CharField()
    rsit_type = serializers.CharField()
    severity = serializers.CharField()
    suggested_severity = serializers.CharField()
    attack_vector = serializers.CharField()
    detection_source = serializers.CharField()
    detection_stage = serializers.CharField()
    ransomware_extent = serializers.CharField()
    comment = serializers.CharField()


class TransitionOut(serializers.Serializer):
    at = serializers.DateTimeField()
    by = UserBrief(allow_null=True)
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    comment = serializers.CharField()


class NoteOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    author = UserBrief(allow_null=True)
    text = serializers.CharField()


class MessageOut(NoteOut):
    from_cert = serializers.BooleanField()


class SupportOut(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    out_of_hours = serializers.BooleanField()
    by = UserBrief(allow_null=True)
    notes = serializers.CharField()


class SuggestionOut(serializers.Serializer):
    severity = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class CaseDetail(serializers.Serializer):
    report_id = serializers.IntegerField()
    reference = serializers.CharField(source="report.reference")
    establishment = EstablishmentBrief(source="report.establishment")
    state = serializers.CharField()
    state_changed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = UserBrief(allow_null=True)
    assigned_to = UserBrief(allow_null=True)
    duplicate_of = serializers.CharField(source="duplicate_of.reference", allow_null=True,
                                         default=None)
    origin = serializers.CharField()
    kind = serializers.CharField()
    rsit_class = serializers.CharField()
    rsit_type = serializers.CharField()
    severity = serializers.CharField()
    suggested_severity = serializers.CharField()
    attack_vector = serializers.CharField()
    detection_source = serializers.CharField()
    detection_stage = serializers.CharField()
    ransomware_extent = serializers.CharField()
    qualified_at = serializers.DateTimeField(allow_null=True)
    allowed_transitions = serializers.ListField(child=serializers.CharField())
    suggestion = SuggestionOut()
    qualifications = QualificationOut(many=True)
    transitions = TransitionOut(many=True)
    notes = NoteOut(many=True)
    messages = MessageOut(many=True)
    supports = SupportOut(many=True)


class BulkResultOut(serializers.Serializer):
    acknowledged = serializers.ListField(child=serializers.CharField())
    skipped = serializers.ListField(child=serializers.DictField())
