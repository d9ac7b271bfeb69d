"""Invitations: analysts and admins invite reporters; the invitee accepts with the link."""

from __future__ import annotations

import logging
import smtplib
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from vigisante.accounts import services
from vigisante.accounts.forms import AcceptInvitationForm, InvitationForm
from vigisante.accounts.models import Invitation, User
from vigisante.core import access

log = logging.getLogger(__name__)


@login_required
def invite(request):
    access.require(request.user, "create", Invitation)
    form = InvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = services.invite(
                    actor=request.user, email=form.cleaned_data["email"],
                    establishments=form.cleaned_data["establishments"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except (smtplib.SMTPException, OSError):
                log.exception("could not send an invitation")
                form.add_error(None, _("The e-mail could not be sent, so no invitation was "
                                       "created. Try again later."))
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {
                    "email": invitation.email})
                return redirect("accounts:invite")
        status = 200 if form.redisplaying() else 400
    recent = (Invitation.objects.select_related("invited_by", "accepted_by")
              .prefetch_related("establishments").order_by("-created_at")[:20])
    return render(request, "accounts/invite.html", {"form": form, "recent": recent},
                  status=status)


@never_cache
def accept_invitation(request, token: str):
    try:
        invitation = services.check_invitation(token)
    except services.InvitationUnusable as exc:
        return _unusable(request, exc)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        return _join_existing(request, token, invitation, existing)
    if request.user.is_authenticated:
        return _unusable(request, _("This invitation is for %(email)s: log out first to "
                                    "accept it.") % {"email": invitation.email}, status=403)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                raw=token, full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["new_password1"])
        except services.InvitationUnusable as exc:
            return _unusable(request, exc)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("home")
    context = {"form": form, "invitation": invitation,
               "establishments": invitation.establishments.order_by("name")}
    status = 400 if form.is_bound else 200
    return render(request, "accounts/accept_invitation.html", context, status=status)


def _join_existing(request, token: str, invitation: Invitation, existing: User):
    """An account exists: its owner logs in, then the memberships are added."""
    if not request.user.is_authenticated:
        messages.info(request, _("An account already exists for %(email)s: log in to accept "
                                 "the invitation.") % {"email": invitation.email})
        login_url = reverse("accounts:login") + "?" + urlencode({"next": request.path})
        return redirect(login_url)
    if request.user.pk != existing.pk:
        return _unusable(request, _("This invitation is for %(email)s: log out, then log in "
                                    "as %(email)s to accept it.") % {"email": invitation.email},
                         status=403)
    try:
        establishments = services.join_invitation(raw=token, user=request.user)
    except services.InvitationUnusable as exc:
        return _unusable(request, exc)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("You are now a member of: %(names)s.") % {
        "names": ", ".join(e.name for e in establishments)})
    return redirect("home")


def _unusable(request, reason, status: int | None = None):
    status = status or getattr(reason, "status", 410)
    return render(request, "accounts/invitation_unusable.html", {"reason": str(reason)},
                  status=status)
