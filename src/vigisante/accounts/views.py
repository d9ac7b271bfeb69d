"""Account pages: login, second factor, profile, API tokens, password reset and change."""

from __future__ import annotations

import re
from base64 import b32encode
from urllib.parse import urlencode, urlsplit

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from vigisante.accounts import lockout, services
from vigisante.accounts.forms import LoginForm, OTPTokenForm, PasswordResetForm, TokenCreateForm
from vigisante.accounts.middleware import SESSION_EXPIRED
from vigisante.accounts.models import ApiToken
from vigisante.core import access


def safe_next(request, default: str = "home") -> str:
    """The `next` parameter when it points to this site, else the default page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def is_verified(user) -> bool:
    """Whether the session passed a second factor (False right after a password login,
    before django-otp's middleware has wrapped the user)."""
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


def needs_second_factor(user) -> bool:
    return bool(settings.REQUIRE_2FA and user.requires_second_factor and not is_verified(user))


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reason = self.request.session.pop(SESSION_EXPIRED, None)
        if reason == "idle":
            context["expired_message"] = _(
                "You were logged out after a period without activity. Log in again.")
        elif reason:
            context["expired_message"] = _(
                "Your session reached its maximum duration. Log in again.")
        return context

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if urlsplit(url).path == self.request.path:
            # next=<the login page> would loop (Django answers that with a 500).
            url = reverse("home")
        user = self.request.user
        if user.is_authenticated and needs_second_factor(user):
            return reverse("accounts:two_factor") + "?" + urlencode({"next": url})
        return url


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link or an image cannot log anyone out."""

    next_page = "accounts:login"  # a URL name: LogoutView resolves it


# ---------------------------------------------------------------- second factor


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code, made on the server (no JavaScript)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    return re.sub(r'^<svg width="[^"]*" height="[^"]*"',
                  '<svg role="img" aria-labelledby="qr-caption" width="220" height="220"',
                  svg, count=1)


@never_cache
@login_required
def two_factor(request):
    user = request.user
    if not user.requires_second_factor:
        return redirect("home")
    next_url = safe_next(request)
    if is_verified(user):
        return redirect(next_url)
    device = services.confirmed_device(user)
    setup = device is None
    if setup:
        device = services.pending_device(user)
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.verify_otp(user=user, device_id=device.pk,
                                     token=form.cleaned_data["otp_token"])
        if result.device is not None:
            otp_login(request, result.device)
            request.session.cycle_key()
            messages.success(request, _("Two-factor authentication set up.") if setup
                             else _("Second factor verified."))
            return redirect(next_url)
        if result.wait_seconds:
            form.add_error("otp_token", _(
                "Too many wrong codes. Wait %(s)d seconds, then try again.") % {
                "s": result.wait_seconds})
        else:
            form.add_error("otp_token", _("This code is not valid. Check your app's clock "
                                          "and enter the current code."))
    context = {"form": form, "setup": setup, "next": next_url}
    if setup:
        secret = b32encode(device.bin_key).decode()
        context.update(
            secret=secret,
            secret_groups=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
            otpauth_uri=device.config_url,
            qr_svg=mark_safe(_qr_svg(device.config_url)),  # our own markup, no user input
        )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/two_factor.html", context, status=status)


# ---------------------------------------------------------------- profile and tokens


@login_required
def profile(request):
    user = request.user
    context = {
        "memberships": user.memberships.select_related("establishment").order_by(
            "establishment__name"),
        "has_device": services.confirmed_device(user) is not None,
        "verified": is_verified(user),
        "active_tokens": user.api_tokens.filter(revoked_at__isnull=True).count(),
    }
    return render(request, "accounts/profile.html", context)


@never_cache
@login_required
def tokens(request):
    form = TokenCreateForm(request.POST or None)
    new_token = raw = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            new_token, raw = services.issue_token(
                actor=request.user, owner=request.user, name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"])
            form = TokenCreateForm()
        else:
            status = 400
    context = {
        "form": form, "new_token": new_token, "raw_token": raw,
        "tokens": access.restrict(ApiToken, request.user, "view").order_by("-created_at"),
    }
    # never_cache: the page that shows a new raw token must not be stored anywhere.
    return render(request, "accounts/tokens.html", context, status=status)


@require_POST
@login_required
def revoke_token(request, pk: int):
    token = services.revoke_token(actor=request.user, token_id=pk)
    messages.success(request, format_html(_("Token “{}” revoked."), token.name))
    return redirect("accounts:tokens")


# ---------------------------------------------------------------- password reset / change


class PasswordResetView(auth_views.PasswordResetView):
    """Same answer whether or not the address has an account; the link uses SITE_URL."""

    template_name = "registration/password_reset_form.html"
    form_class = PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL}
        response = super().form_valid(form)
        services.record_password_reset_requested(email=form.cleaned_data.get("email", ""),
                                                 meta=self.request.META)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The new password also revokes the account's API tokens (User.save) and lifts a
    login lockout of the address."""

    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout.clear_failures(form.user.email)
        services.record_password_set(actor=form.user, how="reset", meta=self.request.META)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """The new password also revokes the account's API tokens (User.save)."""

    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.record_password_set(actor=form.user, how="change", meta=self.request.META)
        return response
