"""Forms of the account pages. Django 5.2 ties help texts and errors to their inputs with
aria-describedby (ids `<id>_helptext` and `<id>_error`, used by accounts/_field.html)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from vigisante.accounts.models import Role, User
from vigisante.core.forms import RedisplayMixin
from vigisante.establishments.forms import EstablishmentField
from vigisante.establishments.models import Establishment


class LoginForm(auth_forms.AuthenticationForm):
    """E-mail and password; the field keeps Django's name `username`."""

    username = auth_forms.UsernameField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("Incorrect e-mail address or password."),
        "inactive": _("This account is disabled."),
        "machine": _("This is a machine account: it reads TAXII and the feeds only, and "
                     "cannot log in to the site."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.role == Role.MACHINE:
            raise forms.ValidationError(self.error_messages["machine"], code="machine")


class OTPTokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_("6-digit code from your authenticator app"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "autofocus": True, "size": 8}),
    )

    def clean_otp_token(self) -> str:
        token = re.sub(r"[\s-]+", "", self.cleaned_data["otp_token"])
        if not re.fullmatch(r"[0-9]{6}", token):
            raise forms.ValidationError(_("Enter the 6 digits shown by your app."))
        return token


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100,
        help_text=_("What the token is for, e.g. \"SIEM connector\"."),
    )

    expires_in_days = forms.TypedChoiceField(
        label=_("Valid for"), coerce=int, initial=90, required=False, empty_value=None,
        choices=[(30, _("30 days")), (90, _("90 days")), (365, _("1 year")),
                 (0, _("No expiry"))],
        help_text=_("After this, the token stops working; create a new one."),
    )

    def clean_expires_in_days(self) -> int:
        """Not chosen (an older page, a script): the default 90 days, never "no expiry"."""
        days = self.cleaned_data.get("expires_in_days")
        return 90 if days is None else days

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        return name


class InvitationForm(RedisplayMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person to invite"), max_length=254)
    # A search, not a list of every establishment (issue 10): tick the matches, search again
    # for another one; the ticked ones stay ticked.
    establishments = EstablishmentField(
        label=_("Establishment(s)"), multiple=True,
        help_text=_("The reporter will report for these establishments. Type part of a name, "
                    "a town or a FINESS number and press Search; tick one or several."),
        error_messages={"invalid_choice": _("Choose establishments from the list.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["establishments"].queryset = Establishment.objects.only(
            "id", "finess", "name", "town")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None and existing.role != Role.REPORTER:
            raise forms.ValidationError(_(
                "This address belongs to an account that is not a reporter account; "
                "only reporters are members of establishments."))
        if existing is not None and not existing.is_active:
            raise forms.ValidationError(_("This address belongs to a disabled account."))
        return email


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    new_password1 = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("Password (again)"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)
        # Built per request, so the rules are listed in the reader's language.
        self.fields["new_password1"].help_text = (
            password_validation.password_validators_help_text_html())

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        return name

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords differ."))
        elif first:
            candidate = User(email=self.email, full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as exc:
                self.add_error("new_password1", exc)
        return data


#: How to read the language a user chose for their e-mails (None: never chose). The
#: notifications app, which sits above accounts, provides it from its ready().
def _no_choice(user: Any) -> str | None:
    return None


_email_language: Callable[[Any], str | None] = _no_choice


def read_email_language_with(reader: Callable[[Any], str | None]) -> None:
    global _email_language
    _email_language = reader


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, whose e-mail goes out in the recipient's language (the one they chose
    for their e-mails; the page's language when they never chose) and in Paris time."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        user = context.get("user")
        chosen = _email_language(user) if user is not None else None
        with translation.override(chosen or translation.get_language()), \
                timezone.override("Europe/Paris"):
            super().send_mail(subject_template_name, email_template_name, context, from_email,
                              to_email, html_email_template_name)
