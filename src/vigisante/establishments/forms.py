"""Forms of the establishments registry (used by the Django admin)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigisante.establishments import domain
from vigisante.establishments.models import Establishment


class FinessField(forms.CharField):
    """A FINESS number as typed by a person: spaces removed and upper-cased before checks."""

    def to_python(self, value):
        return domain.normalise_finess(super().to_python(value))


class EstablishmentForm(forms.ModelForm):
    """Admin form: the département, region and sector can be left blank to be derived.

    The département comes from the FINESS number, the region from the département and the
    sector from the category; the model's validators and `clean()` check the rest (FINESS
    shape, département and region consistent with the FINESS number).
    """

    finess = FinessField(label=_("FINESS number"), help_text=_(
        "9 characters: the département code (01-95, 2A, 2B, 9A-9F) and 7 digits."))

    class Meta:
        model = Establishment
        fields = ["finess", "name", "category", "sector", "legal_status", "town", "departement",
                  "region", "nis2_status", "insured", "synthetic"]
        help_texts = {
            "departement": _("Leave blank to take it from the FINESS number."),
            "region": _("Leave blank to take it from the département."),
            "sector": _("Leave blank to take it from the category (EHPAD and other "
                        "medico-social: medico-social; otherwise health)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("departement", "region", "sector"):
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        finess = data.get("finess") or ""
        if not data.get("departement") and finess and not domain.finess_error(finess):
            data["departement"] = domain.departement_of(finess)
        if not data.get("region") and data.get("departement"):
            data["region"] = domain.region_of(data["departement"]) or ""
        if not data.get("sector") and data.get("category"):
            data["sector"] = domain.sector_of(data["category"])
        for name in ("departement", "region", "sector"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("This field is required."))
        return data
