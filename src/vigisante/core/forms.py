"""A form that can be shown again as typed, without validating it: after an establishment
search (the staff forms) or a language switch (the form pages), nothing is submitted, no
error is shown, and nothing typed is lost. Works without JavaScript: both are plain submit
buttons of the page's own form."""

from __future__ import annotations

from django.forms.utils import ErrorDict


class RedisplayMixin:
    """`redisplay` (set by the view, e.g. for a language switch) or a field whose
    `wants_redisplay(data, html_name)` says so (a search button) makes the bound form
    invalid without errors: the view renders it again, as typed."""

    redisplay = False

    def redisplaying(self) -> bool:
        if not self.is_bound:  # type: ignore[attr-defined]
            return False
        if self.redisplay:
            return True
        return any(getattr(field, "wants_redisplay", None) is not None
                   and field.wants_redisplay(self.data, self.add_prefix(name))  # type: ignore[attr-defined]
                   for name, field in self.fields.items())  # type: ignore[attr-defined]

    def full_clean(self) -> None:
        if self.redisplaying():
            self._errors = ErrorDict()
            self.cleaned_data: dict = {}
            for name, field in self.fields.items():  # type: ignore[attr-defined]
                field.widget.attrs.pop("autofocus", None)
                # Back at the search box that was used (the page reloads at its top).
                if getattr(field, "wants_redisplay", None) is not None \
                        and field.wants_redisplay(self.data, self.add_prefix(name)):  # type: ignore[attr-defined]
                    field.widget.attrs["autofocus"] = True
            return
        super().full_clean()  # type: ignore[misc]

    def is_valid(self) -> bool:
        return not self.redisplaying() and super().is_valid()  # type: ignore[misc]
