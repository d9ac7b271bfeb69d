"""Forms of the CERT's side: hold back, release, write to an authority."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigisante.authorities.models import scope_label
from vigisante.authorities.services import MAX_MESSAGE, MAX_REASON


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("Why hold back the transmissions"), max_length=MAX_REASON,
                             widget=forms.Textarea(attrs={"rows": 2}))


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
