"""The page where each user chooses which e-mails they receive, and in which language."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from vigisante.notifications import services
from vigisante.notifications.forms import PreferencesForm


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    pref = services.preferences_of(request.user)
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, instance=pref, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.save_preferences(actor=request.user, form=form)
        messages.success(request, _("Your e-mail preferences are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form},
                  status=400 if form.errors else 200)
