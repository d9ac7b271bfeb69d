"""Forms of the analyst pages. They parse input; the services decide."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vigisante.core.taxonomy import Kind, Origin
from vigisante.establishments.models import Category
from vigisante.establishments.regions import REGIONS
from vigisante.reports.filters import ReportFilterForm
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
from vigisante.triage.queries import DEFAULT_SORT, OPEN, SORTS, QueueFilters

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZES = (25, 50, 100)


def _blank(label: StrOrPromise, choices) -> list[tuple[str, StrOrPromise]]:
    return [("", label), *choices]


class QueueFilterForm(ReportFilterForm):
    """The queue's filters. The main ones show first; the report's own facts (inherited from
    reports.filters, one implementation) sit under "More filters".

    The queue opens on what needs action: an empty state means every case not yet resolved,
    closed, rejected or a duplicate; "all" shows the whole history.
    """

    MAIN = ("q", "state", "assigned", "overdue")

    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        help_text=_("Reference, establishment or description"),
                        widget=forms.TextInput(attrs={"type": "search"}))
    state = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("", _("Needs action")), ("all", _("All states")), *State.choices])
    assigned = forms.ChoiceField(label=_("Assigned"), required=False, choices=[
        ("", _("Anyone")), ("me", _("To me")), ("none", _("Unassigned"))])
    overdue = forms.BooleanField(label=_("Overdue clocks only"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), required=False,
                                 choices=_blank(_("All"), Severity.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=_blank(_("All"), Kind.choices))
    region = forms.ChoiceField(label=_("Region"), required=False, choices=_blank(
        _("All"), sorted(REGIONS.items(), key=lambda kv: kv[1])))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=_blank(_("All"), Category.choices))
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("-received", _("Newest first")), ("received", _("Oldest first")),
        ("-severity", _("Most severe first")), ("severity", _("Least severe first")),
        ("state", _("State (workflow order)")), ("-state", _("State (reverse order)")),
        ("establishment", _("Establishment A-Z")), ("-establishment", _("Establishment Z-A")),
        ("reference", _("Reference")), ("-reference", _("Reference (reverse)")),
    ])
    per_page = forms.TypedChoiceField(label=_("Per page"), required=False, coerce=int,
                                      empty_value=None,  # per_page_value() says which
                                      choices=[(n, str(n)) for n in PAGE_SIZES])

    field_order = ["q", "state", "assigned", "overdue", "severity", "kind", "region",
                   "category", "support_requested", "patient_care_affected",
                   "suspected_malicious", "stage", "channel", "ongoing", "received_from",
                   "received_to", "sort", "per_page"]

    def main_fields(self):
        return [self[name] for name in self.MAIN]

    def more_fields(self):
        return [self[name] for name in self.fields if name not in self.MAIN]

    def more_active(self) -> bool:
        """Whether a filter under "More filters" is set (the section then opens)."""
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in self.fields
                   if name not in self.MAIN and name not in ("sort", "per_page"))

    def queue_filters(self) -> QueueFilters:
        """The valid filters; a field with an error is ignored (and shown with its error)."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        get = {k: v for k, v in data.items() if k not in self.errors}
        sort = get.get("sort") or DEFAULT_SORT
        state = get.get("state", "")
        state = {"": OPEN, "all": ""}.get(state, state)
        report = replace(super().filters(), q="", region="", category="")
        return QueueFilters(
            state=state, severity=get.get("severity", ""),
            kind=get.get("kind", ""), region=get.get("region", ""),
            category=get.get("category", ""), assigned=get.get("assigned", ""),
            overdue=bool(get.get("overdue")), q=(get.get("q") or "").strip(),
            sort=sort if sort in SORTS else DEFAULT_SORT, report=report)

    def per_page_value(self) -> int:
        data = getattr(self, "cleaned_data", {})
        value = data.get("per_page") if "per_page" not in self.errors else None
        return value if value in PAGE_SIZES else PAGE_SIZES[0]


class PageForm(forms.Form):
    """A form sharing a page with others: its ids are prefixed so they stay unique."""

    id_prefix = "f"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class VersionedForm(PageForm):
    """Carries the case version the user saw, for the conflict check."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean_version(self):
        return self.cleaned_data["version"]


def _text(label, limit, required=True, rows=4, help_text=""):
    return forms.CharField(label=label, required=required, strip=False, max_length=limit,
                           help_text=help_text, widget=forms.Textarea(attrs={"rows": rows}))


class QualifyForm(VersionedForm):
    id_prefix = "qualify"
    origin = forms.ChoiceField(label=_("Origin"), choices=_blank(_("Choose…"), Origin.choices))
    kind = forms.ChoiceField(label=_("Kind"), choices=_blank(_("Choose…"), Kind.choices))
    severity = forms.ChoiceField(
        label=_("Severity"), required=False,
        choices=_blank(_("The suggested severity"), Severity.choices),
        help_text=_("Leave it on the suggestion, or override it and say why in the comment."))
    attack_vector = forms.ChoiceField(label=_("Attack vector"), required=False,
                                      choices=_blank(_("Not known"), AttackVector.choices))
    detection_source = forms.ChoiceField(label=_("Detection source"), required=False,
                                         choices=_blank(_("Not known"), DetectionSource.choices))
    detection_stage = forms.ChoiceField(label=_("Detection stage"), required=False,
                                        choices=_blank(_("Not known"), DetectionStage.choices))
    ransomware_extent = forms.ChoiceField(
        label=_("Ransomware extent at detection"), required=False,
        choices=_blank(_("Not applicable"), RansomwareExtent.choices),
        help_text=_("Ransomware only."))
    comment = _text(_("Comment"), domain.MAX_COMMENT, required=False, rows=3)
    comment.condition = _("(required to override the suggested severity)")


class TransitionForm(VersionedForm):
    id_prefix = "transition"
    to_state = forms.ChoiceField(label=_("New state"), choices=State.choices)
    comment = _text(_("Comment"), domain.MAX_COMMENT, required=False, rows=2,
                    help_text=_("Required to reject or reopen."))
    comment.condition = _("(required to reject or reopen)")
    duplicate_of = forms.CharField(
        label=_("Original report (for a duplicate)"), required=False, max_length=50,
        help_text=_("Its reference, e.g. VS-2026-00042."))


class AssignForm(VersionedForm):
    id_prefix = "assign"
    assigned_to = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(self, *args, analysts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", _("Nobody"))] + [
            (str(u.pk), str(u)) for u in analysts]


class NoteForm(PageForm):
    id_prefix = "note"
    text = _text(_("Internal note"), domain.MAX_TEXT,
                 help_text=_("Seen by the CERT only, never by the establishment."))


class MessageForm(PageForm):
    id_prefix = "message"
    text = _text(_("Message to the establishment"), domain.MAX_TEXT,
                 help_text=_("The establishment sees it and is told by e-mail."))


class ReplyForm(PageForm):
    id_prefix = "reply"
    text = _text(_("Your answer to the CERT"), domain.MAX_TEXT)


class SupportForm(PageForm):
    id_prefix = "support"
    type = forms.ChoiceField(label=_("Type of support"),
                             choices=_blank(_("Choose…"), SupportType.choices))
    started_at = forms.DateTimeField(
        label=_("Start"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Paris time."))
    ended_at = forms.DateTimeField(
        label=_("End"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty while the support goes on."))
    out_of_hours = forms.ChoiceField(
        label=_("Out of hours"), required=False, initial="auto", choices=[
            ("auto", _("From the start time (weekends, before 8:00, from 19:00)")),
            ("yes", _("Yes")), ("no", _("No"))])
    notes = _text(_("Notes"), domain.MAX_TEXT, required=False, rows=3)

    def out_of_hours_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("out_of_hours") or "auto")


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's errors next to the form's fields (others on top of the form)."""
    for key, messages in exc.message_dict.items():
        target = key if key in form.fields and key != "version" else None
        for message in messages:
            form.add_error(target, message)
