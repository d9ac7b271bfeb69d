"""Pages of the chain of authorities: the authority's dashboard and report summaries; the
CERT's hold, release and message actions (their panel is on the case page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vigisante.authorities import access as rules
from vigisante.authorities import services, summary
from vigisante.authorities.models import AuthorityMessage, State, Transmission
from vigisante.core import access
from vigisante.reports.models import Report

OPEN_LIMIT = 100
RECENT = 20


@login_required
@require_http_methods(["GET", "HEAD"])
def dashboard(request):
    """The authority's start page: open incidents of its scope (care affected first), the
    latest transmissions, and the scope's published figures."""
    user = request.user
    access.require(user, "mark_read", Transmission)  # authorities only
    account = services.account_of(user)
    reports = list(services.open_reports(user)[:OPEN_LIMIT])
    recent = list(access.restrict(Transmission.objects.all(), user, "view")
                  .select_related("report__establishment").order_by("-sent_at", "-pk")[:RECENT])
    unread = access.restrict(Transmission.objects.filter(read_at__isnull=True), user,
                             "view").count()
    figures = services.figures_for(account.authority, account.region) if account else None
    return render(request, "authorities/dashboard.html", {
        "account": account, "reports": reports, "recent": recent, "unread": unread,
        "figures": figures, "limit": OPEN_LIMIT})


@login_required
@require_http_methods(["GET", "HEAD"])
def report(request, report_id):
    """The need-to-know summary of one report, the transmissions about it to the user's
    authority (all of them for the CERT) and the CERT's messages; opening it is reading."""
    user = request.user
    rep = access.get_or_404(Report.objects.select_related("establishment"), user, "summary",
                            report_id)
    if rules.is_authority(user) and request.method == "GET":
        services.mark_read(actor=user, report=rep)
    transmissions = list(access.restrict(Transmission.objects.filter(report=rep), user, "view")
                         .select_related("read_by").order_by("event_at", "pk"))
    notes = list(access.restrict(AuthorityMessage.objects.filter(report=rep), user, "view")
                 .order_by("at", "pk"))
    return render(request, "authorities/report.html", {
        "report": rep, "summary": summary.load(rep), "transmissions": transmissions,
        "messages_to_authority": notes, "is_staff": not rules.is_authority(user),
        "State": State})


def _back(report_id) -> str:
    return reverse("triage:case", args=[access.parse_pk(report_id)]) + "#transmissions"


def _errors(request, exc: ValidationError) -> None:
    for errors in exc.message_dict.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_POST
def hold(request, report_id):
    access.get_or_404(Report, request.user, "hold_transmissions", report_id)
    try:
        services.hold(actor=request.user, report_id=report_id,
                      reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The transmissions of this report are held back."))
    return redirect(_back(report_id))


@login_required
@require_POST
def release(request, report_id):
    access.get_or_404(Report, request.user, "hold_transmissions", report_id)
    try:
        count = services.release(actor=request.user, report_id=report_id,
                                 note=request.POST.get("note", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Released: %(n)d transmission(s) will be sent now.") % {
            "n": count})
    return redirect(_back(report_id))


@login_required
@require_POST
def message(request, report_id):
    access.get_or_404(Report, request.user, "message_authority", report_id)
    try:
        services.send_message(actor=request.user, report_id=report_id,
                              to=request.POST.get("to", ""), text=request.POST.get("text", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Message sent to the authority."))
    return redirect(_back(report_id))
