"""Forms of the CERT's side: hold back, release, write to an authority."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigisante.authorities.domain import Authority
from vigisante.authorities.models import REGION_CHOICES, scope_label
from vigisante.authorities.services import MAX_MESSAGE, MAX_REASON


class HoldForm(forms.Form):
    to = forms.ChoiceField(label=_("Hold back the transmissions to"), required=False)
    reason = forms.CharField(label=_("Why hold back the transmissions"), max_length=MAX_REASON,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, scopes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [
            (f"{a}:{r}" if a else "", scope_label(a, r) if a else _("every authority"))
            for a, r in scopes]


class ReleaseForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=MAX_REASON, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class MessageForm(forms.Form):
    to = forms.ChoiceField(label=_("To"))
    text = forms.CharField(label=_("Message"), max_length=MAX_MESSAGE,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, recipients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(f"{a}:{r}", scope_label(a, r)) for a, r in recipients]


class OverseeFilter(forms.Form):
    """Filters of the CERT's page of late and held transmissions (GET)."""

    STATES = [
        ("attention", _("Late or held back")),
        ("late", _("Not sent, past the target")),
        ("held", _("Held back")),
        ("sent_late", _("Sent after the target")),
    ]
    state = forms.ChoiceField(label=_("Show"), choices=STATES, required=False)
    authority = forms.ChoiceField(label=_("Authority"), required=False,
                                  choices=[("", _("Every authority")), *Authority.choices])
    region = forms.ChoiceField(label=_("Region of the establishment"), required=False,
                               choices=[("", _("Every region")), *REGION_CHOICES])
