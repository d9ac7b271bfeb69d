"""Filters of report lists: one implementation (`ReportFilters.apply`), fed by the page's GET
form (`ReportFilterForm`, invalid values ignored; the analysts' queue extends it) and by the
API's query parameters (`serializers.ReportFilter`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vigisante.establishments.models import Category
from vigisante.establishments.regions import REGIONS
from vigisante.reports.forms import DateInput, VigisanteForm
from vigisante.reports.models import Channel, Stage, TriState

DATE_BOUNDS = [MinValueValidator(dt.date(1990, 1, 1)), MaxValueValidator(dt.date(2100, 12, 31))]

ANY = [("", _("Any"))]
YES_NO_ANY = ANY + [("yes", _("Yes")), ("no", _("No"))]
MAX_QUERY = 100


@dataclass(frozen=True)
class ReportFilters:
    """What a list of reports may be narrowed by (empty values: no filter)."""

    q: str = ""  # part of the reference, part of the establishment's name, or its FINESS
    stage: str = ""
    establishment: int | None = None
    region: str = ""
    category: str = ""
    channel: str = ""
    suspected_malicious: str = ""
    patient_care_affected: str = ""
    support_requested: bool | None = None
    ongoing: bool | None = None
    created_after: dt.datetime | None = None  # received at or after
    created_before: dt.datetime | None = None  # received before

    @classmethod
    def of(cls, data: dict) -> ReportFilters:
        """From validated data (unknown keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names and v not in ("", None)})

    def apply(self, qs: QuerySet) -> QuerySet:
        exact = {"stage": "stage", "establishment": "establishment_id",
                 "region": "establishment__region", "category": "establishment__category",
                 "channel": "channel", "suspected_malicious": "suspected_malicious",
                 "patient_care_affected": "patient_care_affected",
                 "support_requested": "support_requested", "ongoing": "ongoing",
                 "created_after": "created_at__gte", "created_before": "created_at__lt"}
        for name, lookup in exact.items():
            value = getattr(self, name)
            if value not in ("", None):
                qs = qs.filter(**{lookup: value})
        text = self.q.strip()
        if text:
            qs = qs.filter(Q(reference__icontains=text) | Q(establishment__name__icontains=text)
                           | Q(establishment__finess=text.upper()))
        return qs


class ReportFilterForm(VigisanteForm):
    q = forms.CharField(label=_("Reference or establishment"), required=False,
                        max_length=MAX_QUERY,
                        widget=forms.TextInput(attrs={"type": "search"}))
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=ANY + Stage.choices)
    region = forms.ChoiceField(label=_("Region"), required=False,
                               choices=ANY + sorted(REGIONS.items(), key=lambda kv: kv[1]))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=ANY + Category.choices)
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=ANY + Channel.choices)
    support_requested = forms.ChoiceField(label=_("Support requested"), required=False,
                                          choices=YES_NO_ANY)
    suspected_malicious = forms.ChoiceField(label=_("Suspected malicious"), required=False,
                                            choices=ANY + TriState.choices)
    patient_care_affected = forms.ChoiceField(label=_("Patient care affected"), required=False,
                                              choices=ANY + TriState.choices)
    ongoing = forms.ChoiceField(label=_("Ongoing"), required=False, choices=YES_NO_ANY)
    # Bounded: a far date (0001-01-01, 9999-12-31) overflows the time-zone arithmetic.
    received_from = forms.DateField(label=_("Received from"), required=False,
                                    widget=DateInput(), validators=DATE_BOUNDS)
    received_to = forms.DateField(label=_("Received until"), required=False,
                                  widget=DateInput(), validators=DATE_BOUNDS)

    def clean(self):
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and end < start:
            self.add_error("received_to", gettext("The end date is before the start date."))
        return data

    def filters(self) -> ReportFilters:
        """The valid filters (call after is_valid(); invalid ones are left out)."""
        data = dict(getattr(self, "cleaned_data", {}))
        for key in ("support_requested", "ongoing"):
            data[key] = {"yes": True, "no": False}.get(data.get(key) or "")
        if data.get("received_from"):
            data["created_after"] = _start_of(data["received_from"])
        if data.get("received_to"):
            data["created_before"] = _start_of(data["received_to"] + dt.timedelta(days=1))
        return ReportFilters.of(data)

    def filter(self, qs: QuerySet) -> QuerySet:
        return self.filters().apply(qs)

    def active(self) -> bool:
        return any(getattr(self, "cleaned_data", {}).get(name) for name in self.fields)


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the site's time zone (Europe/Paris)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
