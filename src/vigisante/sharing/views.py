"""Alert pages. Reporters: the alerts their establishments received (reading one records a
read receipt). Analysts: write, preview the recipients, send, and see who has read.

Thin: parse, call a service, render. Anyone else gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from vigisante.indicators.models import Campaign
from vigisante.sharing import access, presenters, services
from vigisante.sharing.forms import AlertForm

PER_PAGE = 25


@login_required
def alert_list(request):
    user = request.user
    if access.is_staff(user):
        page = Paginator(presenters.staff_rows(), PER_PAGE).get_page(request.GET.get("page"))
        return render(request, "sharing/staff_list.html", {"page": page})
    if not access.is_reader(user):
        raise Http404("No such page.")
    page = Paginator(presenters.reader_rows(user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "sharing/list.html", {"page": page})


@login_required
def detail(request, pk: int):
    alert = access.get_visible_alert(request.user, pk)
    if access.is_staff(request.user):
        return render(request, "sharing/staff_detail.html", presenters.staff_detail(alert))
    services.mark_read(actor=request.user, alert=alert)
    return render(request, "sharing/detail.html", presenters.reader_detail(alert))


def _campaign(request) -> Campaign | None:
    raw = request.GET.get("campaign")
    if not raw:
        return None
    try:
        return Campaign.objects.get(pk=int(raw))
    except (Campaign.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such campaign.") from None


def _save(request, form: AlertForm, alert=None):
    if not form.is_valid():
        return None
    try:
        return services.save_draft(actor=request.user, draft=form.draft(), alert=alert)
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            form.add_error("target_all" if name == "targets" else
                           name if name in form.fields else None, errors)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    access.require_staff(request.user)
    if request.method == "POST":
        form = AlertForm(request.POST)
        alert = _save(request, form)
        if alert is not None:
            messages.success(request, _("Draft saved. Check the recipients, then send."))
            return redirect("sharing:preview", alert.pk)
    else:
        campaign = _campaign(request)
        form = AlertForm(initial=services.campaign_prefill(campaign) if campaign else {})
    return render(request, "sharing/form.html", {"form": form, "alert": None},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    access.require_staff(request.user)
    alert = access.get_visible_alert(request.user, pk)
    if alert.is_sent:
        messages.error(request, _("This alert was sent: it can no longer be changed."))
        return redirect("sharing:detail", alert.pk)
    if request.method == "POST":
        form = AlertForm(request.POST)
        saved = _save(request, form, alert)
        if saved is not None:
            messages.success(request, _("Draft saved. Check the recipients, then send."))
            return redirect("sharing:preview", saved.pk)
    else:
        form = AlertForm(initial=AlertForm.initial_of(alert))
    return render(request, "sharing/form.html", {"form": form, "alert": alert},
                  status=400 if form.errors else 200)


@login_required
def preview(request, pk: int):
    access.require_staff(request.user)
    alert = access.get_visible_alert(request.user, pk)
    return render(request, "sharing/preview.html", presenters.preview(alert))


@login_required
@require_POST
def send(request, pk: int):
    access.require_staff(request.user)
    alert = access.get_visible_alert(request.user, pk)
    try:
        result = services.send(actor=request.user, alert=alert)
    except ValidationError as exc:
        context = presenters.preview(alert)
        context["send_errors"] = exc.message_dict if hasattr(exc, "error_dict") \
            else {"targets": exc.messages}
        return render(request, "sharing/preview.html", context, status=400)
    if result.already_sent:
        messages.info(request, _("This alert had already been sent; nothing was sent again."))
    else:
        messages.success(request, ngettext(
            "Alert sent to %(n)d establishment.", "Alert sent to %(n)d establishments.",
            result.recipients) % {"n": result.recipients})
    return redirect("sharing:detail", alert.pk)
