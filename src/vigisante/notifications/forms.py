"""The preferences form: only the events the user's role can receive."""

from __future__ import annotations

from django import forms

from vigisante.notifications.events import EVENTS, events_for
from vigisante.notifications.models import NotificationPreference


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["language", *EVENTS]
        widgets = {"language": forms.RadioSelect}

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = set(events_for(user))
        for name in EVENTS:
            if name not in allowed:
                del self.fields[name]
            else:
                self.fields[name].label = str(EVENTS[name].label)
                self.fields[name].help_text = str(EVENTS[name].help)

    @property
    def event_fields(self) -> list:
        return [self[name] for name in EVENTS if name in self.fields]
