"""The alert form of the analysts. It parses input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigisante.establishments.models import Category, Nis2Status, Sector, Supplier
from vigisante.establishments.regions import REGIONS
from vigisante.indicators.models import Campaign, Tlp
from vigisante.sharing import domain, services

TLP_HELP = {
    "clear": _("No limit on disclosure."),
    "green": _("Within the health community, not published."),
    "amber": _("Within the recipient establishment and its suppliers who need to know."),
    "amber+strict": _("Within the recipient establishment only."),
    "red": _("For the named recipients only, not passed on."),
}


class AlertForm(forms.Form):
    mark_optional = True
    title = forms.CharField(label=_("Title"), max_length=200)
    situation = forms.CharField(
        label=_("What is happening"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The threat, without saying who reported it: no establishment name, "
                    "town, FINESS number, report reference or copied report text."))
    actions = forms.CharField(label=_("What to do"), max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 6}))
    malware = forms.CharField(
        label=_("Malware family"), max_length=100, required=False,
        help_text=_("Optional, e.g. a ransomware family: shared as a STIX malware object."))
    tlp = forms.ChoiceField(label=_("Sharing (TLP)"), choices=Tlp.choices,
                            initial=Tlp.AMBER, widget=forms.RadioSelect)
    indicators = forms.CharField(
        label=_("Indicators"), required=False, max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("One value per line (IP address, domain, URL, e-mail, hash, ...); each "
                    "must be a confirmed indicator."))
    target_all = forms.BooleanField(label=_("Every establishment"), required=False)
    target_categories = forms.MultipleChoiceField(
        label=_("Categories"), required=False, choices=Category.choices,
        widget=forms.CheckboxSelectMultiple)
    target_sectors = forms.MultipleChoiceField(
        label=_("Sectors"), required=False, choices=Sector.choices,
        widget=forms.CheckboxSelectMultiple)
    target_regions = forms.MultipleChoiceField(
        label=_("Regions"), required=False,
        choices=sorted(REGIONS.items(), key=lambda kv: kv[1]),
        widget=forms.CheckboxSelectMultiple)
    target_nis2 = forms.MultipleChoiceField(
        label=_("NIS2 statuses"), required=False, choices=Nis2Status.choices,
        widget=forms.CheckboxSelectMultiple)
    target_suppliers = forms.ModelMultipleChoiceField(
        label=_("Customers of the suppliers"), required=False,
        queryset=Supplier.objects.order_by("name"), widget=forms.CheckboxSelectMultiple,
        help_text=_("The establishments that the registry records as using them."))
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.all(), required=False,
                                      widget=forms.HiddenInput)

    target_fields = ("target_all", "target_categories", "target_sectors", "target_regions",
                     "target_nis2", "target_suppliers")

    def clean_indicators(self) -> list:
        lines = (self.cleaned_data.get("indicators") or "").splitlines()
        found, errors = services.find_indicators(lines)
        if errors:
            raise forms.ValidationError(errors)
        return found

    def targets(self) -> domain.Targets:
        data = self.cleaned_data
        return domain.Targets(
            everyone=bool(data.get("target_all")),
            category=frozenset(data.get("target_categories") or ()),
            sector=frozenset(data.get("target_sectors") or ()),
            region=frozenset(data.get("target_regions") or ()),
            nis2_status=frozenset(data.get("target_nis2") or ()),
            suppliers=frozenset(s.pk for s in data.get("target_suppliers") or ()))

    def clean(self):
        data = super().clean()
        if not any(name in self.errors for name in self.target_fields):
            error = domain.targets_error(self.targets())
            if error:
                self.add_error("target_all", error)
        if "tlp" in data and "indicators" in data:
            error = domain.tlp_error(data["tlp"], [i.tlp for i in data["indicators"]])
            if error:
                self.add_error("tlp", error)
        return data

    def draft(self) -> services.Draft:
        data = self.cleaned_data
        return services.Draft(
            title=data["title"].strip(), situation=data["situation"].strip(),
            actions=data["actions"].strip(), tlp=data["tlp"], indicators=data["indicators"],
            targets=self.targets(), campaign=data.get("campaign"),
            malware=" ".join(data.get("malware", "").split()))

    @classmethod
    def initial_of(cls, alert) -> dict:
        return {
            "title": alert.title, "situation": alert.situation, "actions": alert.actions,
            "tlp": alert.tlp, "campaign": alert.campaign_id, "malware": alert.malware,
            "indicators": "\n".join(i.value for i in alert.indicators.order_by("type", "value")),
            "target_all": alert.target_all, "target_categories": alert.target_categories,
            "target_sectors": alert.target_sectors, "target_regions": alert.target_regions,
            "target_nis2": alert.target_nis2,
            "target_suppliers": list(alert.target_suppliers.values_list("pk", flat=True)),
        }

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) of every error, for the summary at the top of the form."""
        out = []
        for name, errors in self.errors.items():
            anchor = "" if name == "__all__" else (
                self[name].id_for_label or self[name].auto_id)
            for message in errors:
                out.append((anchor, f"{self[name].label}: {message}" if anchor else message))
        return out
