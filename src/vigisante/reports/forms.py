"""HTML forms of the staged report: they parse and cap the input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vigisante.core import access
from vigisante.core.forms import RedisplayMixin
from vigisante.establishments.forms import SEARCH_ABOVE, EstablishmentField
from vigisante.reports import domain, services
from vigisante.reports.models import (
    Channel,
    OperationsImpact,
    PatientDanger,
    Report,
    System,
    TriState,
)

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
STAFF_CHANNELS = [(Channel.PHONE, Channel.PHONE.label), (Channel.EMAIL, Channel.EMAIL.label),
                  (Channel.WEB, Channel.WEB.label)]
MAX_PEOPLE = 2_147_483_647  # the smallest integer range of both databases
MAX_RECORDS = 9_223_372_036_854_775_807


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class _OptionAttrsMixin:
    """Focus and class go on the group and its first option only (one autofocus per page)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].pop("class", None)
        if index or subindex:
            option["attrs"].pop("autofocus", None)
        return option


class ChoicesRadio(_OptionAttrsMixin, forms.RadioSelect):
    pass


class ChoicesCheckboxes(_OptionAttrsMixin, forms.CheckboxSelectMultiple):
    pass


def _label(name: str) -> str:
    return capfirst(Report._meta.get_field(name).verbose_name)


def _yes(value: str) -> bool:
    return value == "yes"


def yes_no_field(label, **kwargs) -> forms.TypedChoiceField:
    """A required yes/no question as two big radio buttons."""
    return forms.TypedChoiceField(label=label, choices=YES_NO, coerce=_yes,
                                  widget=ChoicesRadio(attrs={"class": "choices"}), **kwargs)


def radio_field(label, choices, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices,
                             widget=ChoicesRadio(attrs={"class": "choices"}), **kwargs)


def text_field(label, limit: int, *, required: bool = False, rows: int = 4,
               **kwargs) -> forms.CharField:
    """A free text capped at `limit` characters.

    No maxlength attribute: a browser would silently cut a pasted log; the form says why.
    """
    field = forms.CharField(label=label, required=required, max_length=limit,
                            widget=forms.Textarea(attrs={"rows": rows}), **kwargs)
    field.widget.attrs.pop("maxlength", None)
    return field


class VigisanteForm(RedisplayMixin, forms.Form):
    """Marks fields in error, focuses the first one (no JavaScript) and takes service errors."""

    error_css_class = "field-error"

    def full_clean(self) -> None:
        super().full_clean()
        if not self.redisplaying():  # shown again as typed: the mixin placed the focus
            self.focus_first_error()

    def focus_first_error(self) -> None:
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        for name, field in self.fields.items():
            if name in self.errors and not field.widget.is_hidden:
                field.widget.attrs["autofocus"] = True
                return

    def apply_service_errors(self, exc: ValidationError) -> None:
        """Show the errors a service raised next to the fields they name."""
        for key, messages in exc.message_dict.items():
            self.add_error(key if key in self.fields and key != "version" else None, messages)
        self.focus_first_error()

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs for the error summary at the top of the page."""
        links = [("", str(msg)) for msg in self.non_field_errors()]
        if any(name in self.errors for name, f in self.fields.items() if f.widget.is_hidden):
            links.append(("", gettext("This page is out of date: reload it and try again.")))
        for name, errors in self.errors.items():
            if name in self.fields and not self.fields[name].widget.is_hidden:
                bound = self[name]
                anchor = bound.auto_id if not bound.use_fieldset else f"{bound.auto_id}_0"
                links.extend((anchor, f"{bound.label} — {msg}") for msg in errors)
        return links


class EarlyWarningForm(VigisanteForm):
    """The first report: eight questions, answerable on a phone in two minutes."""

    mark_optional = True

    establishment = forms.ModelChoiceField(queryset=None, label=_("Establishment"))
    description = text_field(
        _("What is happening?"), domain.MAX_SHORT_TEXT, required=True, rows=5,
        help_text=_("A few words are enough: what you see, which services are hit."))
    discovered_at = forms.DateTimeField(
        label=_("When was it found?"), widget=DateTimeLocalInput(),
        help_text=_("Date and time, Paris time. The 24 h and 72 h deadlines run from it; the "
                    "NIS2 final report is due one month after the notification."))
    ongoing = yes_no_field(_("Is it still ongoing?"))
    suspected_malicious = radio_field(_("Do you suspect a malicious act?"), TriState.choices)
    patient_care_affected = radio_field(_("Is patient care affected?"), TriState.choices)
    support_requested = yes_no_field(_("Do you want help from the CERT?"))
    callback_phone = forms.CharField(
        label=_("Phone number to call you back"), max_length=domain.MAX_PHONE, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel",
                                      "inputmode": "tel"}),
        help_text=_("Your e-mail may be down: give a number where the CERT can reach you."))
    # A rule the label must say (issue 10, item 6): shown instead of "(optional)".
    callback_phone.condition = _("(required if you want help)")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.single_establishment = None
        qs = services.establishments_for(user).only("pk", "name", "finess", "town")
        field = self.fields["establishment"]
        field.queryset = qs
        staff = access.allowed(user, "record_on_behalf", Report)
        mine = [] if staff else list(qs.order_by("name")[:SEARCH_ABOVE + 1])
        if staff or len(mine) > SEARCH_ABOVE:
            # Staff report for any of ~800 establishments: a search, not a list (issue 10).
            self.fields["establishment"] = EstablishmentField(
                queryset=qs, label=_("Establishment"),
                help_text=_("Part of its name, its town or its FINESS number."))
        elif len(mine) == 1:
            # A single establishment: nothing to choose; the page says which one it is.
            self.single_establishment = mine[0]
            field.widget = forms.HiddenInput()
            field.required = False
            field.initial = mine[0].pk
        else:
            field.empty_label = gettext("Choose your establishment")
        if staff:
            self.fields = {"channel": radio_field(
                _("Received by"), STAFF_CHANNELS, initial=Channel.PHONE), **self.fields}
        self.fields["discovered_at"].initial = timezone.localtime().replace(
            second=0, microsecond=0)
        if not self.is_bound and getattr(user, "phone", ""):
            self.fields["callback_phone"].initial = user.phone

    def clean_establishment(self):
        return self.cleaned_data.get("establishment") or self.single_establishment

    def clean_discovered_at(self):
        value = self.cleaned_data["discovered_at"]
        error = domain.discovered_at_error(value, timezone.now())
        if error:
            raise ValidationError(error)
        return value

    def clean_callback_phone(self) -> str:
        value = self.cleaned_data["callback_phone"]
        error = domain.phone_error(value)
        if error:
            raise ValidationError(error)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("support_requested") and not data.get("callback_phone") \
                and "callback_phone" not in self.errors:
            self.add_error("callback_phone",
                           gettext("Give a number where the CERT can call you back."))
        return data

    def report_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in services.EARLY_WARNING_FIELDS}

    def channel(self) -> str:
        return self.cleaned_data.get("channel") or Channel.WEB


class StageForm(VigisanteForm):
    """A later stage: saved as a draft or submitted, guarded by the report's version."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    stage_fields: list[str] = []
    yes_no_fields: tuple[str, ...] = ()

    @classmethod
    def for_report(cls, report: Report) -> StageForm:
        initial: dict[str, Any] = {name: getattr(report, name) for name in cls.stage_fields}
        initial["version"] = report.version
        return cls(initial=initial)

    def report_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in self.stage_fields}


class NotificationForm(StageForm):
    stage_fields = services.NOTIFICATION_FIELDS

    systems_hit = forms.MultipleChoiceField(
        label=_label("systems_hit"), choices=System.choices, required=False,
        widget=ChoicesCheckboxes(attrs={"class": "choices stacked"}))
    perimeter = text_field(_("Perimeter (sites, services, number of workstations)"),
                           domain.MAX_SHORT_TEXT, rows=3)
    operations_impact = radio_field(_label("operations_impact"), OperationsImpact.choices,
                                    required=False,
                                    help_text=_("Required to submit the notification."))
    degraded_since = forms.DateTimeField(label=_label("degraded_since"), required=False,
                                         widget=DateTimeLocalInput())
    degraded_since.condition = _("(required for degraded mode)")
    degraded_until = forms.DateTimeField(label=_label("degraded_until"), required=False,
                                         widget=DateTimeLocalInput(),
                                         help_text=_("Leave empty while it lasts."))
    patient_danger = radio_field(_label("patient_danger"), PatientDanger.choices,
                                 required=False)
    patient_danger_narrative = text_field(
        _label("patient_danger_narrative"), domain.MAX_SHORT_TEXT, rows=3,
        help_text=_("Required when the danger is potential or actual. No patient names."))
    data_availability = forms.BooleanField(label=_("Availability"), required=False)
    data_integrity = forms.BooleanField(label=_("Integrity"), required=False)
    data_confidentiality = forms.BooleanField(label=_("Confidentiality"), required=False)
    personal_data = forms.BooleanField(label=_label("personal_data"), required=False)
    health_data = forms.BooleanField(label=_label("health_data"), required=False)
    # past the databases' limits, a count is a typing error: said so, without the limit's
    # nineteen digits
    people_affected = forms.IntegerField(
        label=_label("people_affected"), required=False, min_value=0, max_value=MAX_PEOPLE,
        error_messages={"max_value": _("This number is too large to be a count of people: "
                                       "check it.")})
    records_affected = forms.IntegerField(
        label=_label("records_affected"), required=False, min_value=0, max_value=MAX_RECORDS,
        error_messages={"max_value": _("This number is too large to be a count of records: "
                                       "check it.")})
    ransom_demanded = forms.BooleanField(label=_label("ransom_demanded"), required=False)
    supplier_involved = forms.BooleanField(label=_label("supplier_involved"), required=False)
    supplier_name = forms.CharField(label=_("Supplier name"), required=False, max_length=200)
    measures_taken = text_field(_label("measures_taken"), domain.MAX_TEXT)
    causes = text_field(_label("causes"), domain.MAX_TEXT)
    complaint_filed_on = forms.DateField(label=_("Complaint filed with the police on"),
                                         required=False, widget=DateInput())
    dpa_notified_on = forms.DateField(label=_("Data protection authority (CNIL) notified on"),
                                      required=False, widget=DateInput())

    SECTIONS = [
        (_("Systems and perimeter"), ["systems_hit", "perimeter"]),
        (_("Operations"), ["operations_impact", "degraded_since", "degraded_until"]),
        (_("Patients"), ["patient_danger", "patient_danger_narrative"]),
        (_("Data"), ["data_availability", "data_integrity", "data_confidentiality",
                     "personal_data", "health_data", "people_affected", "records_affected"]),
        (_("Attack and suppliers"), ["ransom_demanded", "supplier_involved", "supplier_name"]),
        (_("Response"), ["measures_taken", "causes", "complaint_filed_on", "dpa_notified_on"]),
    ]
    DATA_IMPACT = ["data_availability", "data_integrity", "data_confidentiality"]

    def sections(self) -> list[dict[str, Any]]:
        """The fields grouped as on the official form (the data impact as one question)."""
        out = []
        for title, names in self.SECTIONS:
            out.append({"title": title,
                        "fields": [self[n] for n in names if n not in self.DATA_IMPACT],
                        "data_impact": [self[n] for n in names if n in self.DATA_IMPACT]})
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        today = timezone.localdate()
        for name in ("complaint_filed_on", "dpa_notified_on"):
            if data.get(name) and data[name] > today:
                self.add_error(name, gettext("This date cannot be in the future."))
        limit = timezone.now() + domain.CLOCK_SKEW
        for name in ("degraded_since", "degraded_until"):
            if data.get(name) and data[name] > limit:
                self.add_error(name, gettext("This date cannot be in the future."))
        return data


class FinalForm(StageForm):
    stage_fields = services.FINAL_FIELDS

    root_cause = text_field(_label("root_cause"), domain.MAX_TEXT,
                            help_text=_("Required to submit the final report."))
    resolved_at = forms.DateTimeField(label=_("Resolved on"), required=False,
                                      widget=DateTimeLocalInput(),
                                      help_text=_("Required to submit the final report."))
    final_impact = text_field(_label("final_impact"), domain.MAX_TEXT)
    lessons_learned = text_field(_label("lessons_learned"), domain.MAX_TEXT)

    def clean_resolved_at(self):
        value = self.cleaned_data["resolved_at"]
        if value and value > timezone.now() + domain.CLOCK_SKEW:
            raise ValidationError(gettext("This date cannot be in the future."))
        return value


class UpdateForm(VigisanteForm):
    text = text_field(_("New entry in the timeline"), domain.MAX_TEXT, required=True, rows=3,
                      help_text=_("What changed: systems back, new findings, decisions."))


class AttachmentForm(VigisanteForm):
    file = forms.FileField(
        label=_("File"), max_length=255,
        help_text=_("PDF, images, text, logs, e-mails (.eml), office documents or ZIP."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        accept = ",".join(f".{ext}" for ext in sorted(domain.ALLOWED_ATTACHMENT_TYPES))
        self.fields["file"].widget.attrs["accept"] = accept
