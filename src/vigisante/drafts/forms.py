"""Forms of the drafts' pages: the facts a draft needs, the DPO contact, "sent on"."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigisante.drafts import facts
from vigisante.drafts.services import MAX_FACT, MAX_REFERENCE
from vigisante.reports.forms import DateTimeLocalInput, VigisanteForm

HELP = {
    "people_categories": _("For example: patients of the emergency department, staff, "
                           "residents' families."),
    "likely_consequences": _("What the people concerned risk: disclosure of their health "
                             "data, identity theft, phishing in their name, delayed care..."),
    "measures_proposed": _("What you will still do, and what limits the harm for the people "
                           "concerned."),
    "delay_reasons": _("Only when the CNIL is notified more than 72 hours after discovery "
                       "(GDPR art. 33(1))."),
    "advice_to_people": _("In plain words: be wary of calls or e-mails about their care, "
                          "change a password, watch their bank account..."),
    "cross_border": _("Could the incident affect other EU countries (a shared supplier, "
                      "patients abroad)? Yes, no or not known yet, and why."),
    "status_update": _("For an intermediate report: what changed since the notification."),
    "mitigation_ongoing": _("Mitigation still under way."),
    "ransom_channel": _("E-mail, ransom note on the screens, leak site, telephone..."),
    "losses": _("Costs, lost activity, data lost, known so far."),
    "complaint_reference": _("The number on the receipt the police or gendarmerie gave."),
    "insurer": _("Name of the insurer."),
    "policy_number": _("Number of the cyber-insurance policy."),
}


class FactsForm(VigisanteForm):
    """Every fact the drafts need that the report form does not ask."""

    mark_optional = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in facts.EXTRA_FACTS:
            self.fields[name] = forms.CharField(
                label=str(facts.FACTS[name].label).capitalize(), required=False,
                max_length=MAX_FACT, help_text=HELP.get(name, ""),
                widget=forms.Textarea(attrs={"rows": 3}))


class DpoForm(VigisanteForm):
    mark_optional = False
    dpo_name = forms.CharField(label=_("Name of the data-protection officer"), max_length=200,
                               required=False, widget=forms.TextInput(
                                   attrs={"autocomplete": "name"}))
    dpo_email = forms.EmailField(label=_("Their e-mail"), required=False,
                                 widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    dpo_phone = forms.CharField(label=_("Their phone"), max_length=30, required=False,
                                widget=forms.TextInput(attrs={"type": "tel",
                                                              "autocomplete": "tel"}))


class SentForm(VigisanteForm):
    mark_optional = True
    sent_at = forms.DateTimeField(label=_("Sent on"), widget=DateTimeLocalInput(),
                                  help_text=_("Date and time, Paris time."))
    reference = forms.CharField(label=_("Reference given by the recipient"), required=False,
                                max_length=MAX_REFERENCE,
                                help_text=_("The CNIL's notification number, the complaint "
                                            "receipt number..."))
