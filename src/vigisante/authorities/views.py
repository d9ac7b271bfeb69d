"""Pages of the chain of authorities: the authority's dashboard and report summaries; the
CERT's page of late and held transmissions; the CERT's hold, release and message actions
(their panel is on the case page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vigisante.authorities import access as rules
from vigisante.authorities import services, summary
from vigisante.authorities.forms import OverseeFilter
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


OVERSEE_PAGE = 50


@login_required
@require_http_methods(["GET", "HEAD"])
def oversee(request):
    """CERT staff: the transmissions late or held back across every report, filterable by
    authority, region and state, the most overdue first."""
    user = request.user
    access.require(user, "oversee", Transmission)
    form = OverseeFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    rows = services.overseen(user, state=filters.get("state") or "attention",
                             authority=filters.get("authority", ""),
                             region=filters.get("region", ""), now=now)
    page = Paginator(rows, OVERSEE_PAGE).get_page(request.GET.get("page"))
    rows = [{"t": t, "late": services.is_late(t, now)} for t in page.object_list]
    return render(request, "authorities/oversee.html", {
        "form": form, "page": page, "rows": rows, "now": now,
        "filtered": bool(request.GET.get("state") or request.GET.get("authority")
                         or request.GET.get("region"))})


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
        h = services.hold(actor=request.user, report_id=report_id,
                          reason=request.POST.get("reason", ""), to=request.POST.get("to", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if h.is_all:
            messages.success(request, _("The transmissions of this report are held back."))
        else:
            messages.success(request, _("The transmissions to %(authority)s are held back.")
                             % {"authority": h.scope_label})
    return redirect(_back(report_id))


@login_required
@require_POST
def release(request, report_id):
    access.get_or_404(Report, request.user, "hold_transmissions", report_id)
    try:
        count = services.release(actor=request.user, report_id=report_id,
                                 note=request.POST.get("note", ""),
                                 hold_id=request.POST.get("hold", ""))
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
