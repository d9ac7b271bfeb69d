"""Filters of the CERT's list of incoming reports (a GET form; invalid values are ignored)."""

from __future__ import annotations

import datetime as dt

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


class IncomingFilterForm(VigisanteForm):
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

    def filter(self, qs: QuerySet) -> QuerySet:
        """Apply every valid filter (call after is_valid(); invalid ones are left out)."""
        data = getattr(self, "cleaned_data", {})
        exact = {"stage": "stage", "region": "establishment__region",
                 "category": "establishment__category", "channel": "channel",
                 "suspected_malicious": "suspected_malicious",
                 "patient_care_affected": "patient_care_affected"}
        for key, lookup in exact.items():
            if data.get(key):
                qs = qs.filter(**{lookup: data[key]})
        for key in ("support_requested", "ongoing"):
            if data.get(key):
                qs = qs.filter(**{key: data[key] == "yes"})
        if data.get("received_from"):
            qs = qs.filter(created_at__gte=_start_of(data["received_from"]))
        if data.get("received_to"):
            qs = qs.filter(created_at__lt=_start_of(data["received_to"] + dt.timedelta(days=1)))
        text = (data.get("q") or "").strip()
        if text:
            qs = qs.filter(Q(reference__icontains=text) | Q(establishment__name__icontains=text)
                           | Q(establishment__finess=text.upper()))
        return qs

    def active(self) -> bool:
        return any(getattr(self, "cleaned_data", {}).get(name) for name in self.fields)


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the site's time zone (Europe/Paris)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
