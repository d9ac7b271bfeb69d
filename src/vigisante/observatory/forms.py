"""The period and version selector of the observatory page and API (GET parameters:
year, or from and to; source; view=internal|public; health_only)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from vigisante.observatory import domain
from vigisante.reports.models import Source

MAX_DAYS = 366 * 5


class PeriodForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1990, max_value=2100)
    source = forms.ChoiceField(label=_("Records"), choices=Source.choices, required=False)
    view = forms.ChoiceField(label=_("Version"), required=False, choices=[
        ("internal", _("Internal")), ("public", _("Public"))])
    health_only = forms.BooleanField(label=_("Health care victims only (imported records)"),
                                     required=False)

    def __init__(self, *args, default_year: int, can_see_internal: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_year = default_year
        # "from" and "to" are the parameter names people type; they are Python keywords
        # Dates within the years the form accepts: a far date (0001, 9999) overflows.
        bounds = [MinValueValidator(dt.date(1990, 1, 1)), MaxValueValidator(dt.date(2100, 12, 31))]
        self.fields["from"] = forms.DateField(label=_("From"), required=False, validators=bounds,
                                              widget=forms.DateInput(attrs={"type": "date"}))
        self.fields["to"] = forms.DateField(label=_("To (included)"), required=False,
                                            validators=bounds,
                                            widget=forms.DateInput(attrs={"type": "date"}))
        self.order_fields(["year", "from", "to", "source", "view", "health_only"])
        if not can_see_internal:
            del self.fields["view"]

    def clean(self):
        data = super().clean()
        year, first, last = data.get("year"), data.get("from"), data.get("to")
        if year is not None and (first or last):
            self.add_error("year", _("Give either a year or a start and an end, not both."))
        elif (first is None) != (last is None) and not self.errors.get("from") \
                and not self.errors.get("to"):
            self.add_error("to" if last is None else "from",
                           _("Give both the start and the end of the period."))
        elif first and last:
            if last < first:
                self.add_error("to", _("The end of the period is before its start."))
            elif (last - first).days > MAX_DAYS:
                self.add_error("to", _("A period is at most five years long."))
        return data

    def period(self) -> domain.Period:
        data = self.cleaned_data
        if data.get("from") and data.get("to"):
            return domain.Period.between(data["from"], data["to"])
        return domain.Period.year(data.get("year") or self.default_year)

    def is_public(self) -> bool:
        return "view" not in self.fields or self.cleaned_data.get("view") == "public"

    def chosen_source(self) -> str:
        return self.cleaned_data.get("source") or Source.SECTOR


def last_full_year(today: dt.date) -> int:
    """The default year of the page: the last complete calendar year."""
    return today.year - 1
