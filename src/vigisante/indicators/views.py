"""Analyst pages of indicators and campaigns (CERT staff only; 404 for anyone else).

Thin: parse, call a service, render. Every action is a plain POST form that redirects back;
invalid input re-renders the page with the errors (status 400).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from vigisante.core import access
from vigisante.indicators import campaign_queries, campaigns, services, warninglists
from vigisante.indicators.access import require_staff
from vigisante.indicators.models import (
    Campaign,
    CampaignStatus,
    CorrelationRebuild,
    IndicatorType,
    Link,
    RebuildState,
    Sighting,
    Status,
    Tlp,
    WarningListEntry,
)
from vigisante.reports.models import Report

PAGE = 50


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for msgs in exc.message_dict.values() for m in msgs]
    return [str(m) for m in exc.messages]


def _report(user, report_id) -> Report:
    """A sector report the user may triage (imported VERIS/HHS records are not reports)."""
    require_staff(user)
    return access.get_or_404(Report.objects.select_related("establishment"), user, "triage",
                             report_id)


# --- a report's indicators ---------------------------------------------------------------------

@login_required
@require_GET
def report_indicators(request, report_id: int, errors=None, status=200):
    """What was extracted from a report, for review (confirm / reject, TLP, confidence)."""
    report = _report(request.user, report_id)
    sightings = (Sighting.objects.filter(report=report).select_related("indicator", "attachment")
                 .order_by("indicator__status", "indicator__type", "indicator__value"))
    return render(request, "indicators/report.html", {
        "report": report, "sightings": sightings, "errors": errors or [],
        "types": IndicatorType.choices, "statuses": Status.choices, "tlps": Tlp.choices,
    }, status=status)


@login_required
@require_POST
def review(request, report_id: int):
    report = _report(request.user, report_id)
    try:
        services.review(actor=request.user, indicator=request.POST.get("indicator"),
                        status=request.POST.get("status", ""), tlp=request.POST.get("tlp"),
                        confidence=request.POST.get("confidence"))
    except ValidationError as exc:
        request.method = "GET"
        return report_indicators(request, report.pk, errors=_errors(exc), status=400)
    messages.success(request, _("Indicator reviewed."))
    return redirect("indicators:report", report_id=report.pk)


@login_required
@require_POST
def add(request, report_id: int):
    report = _report(request.user, report_id)
    try:
        services.add_indicator(actor=request.user, report=report,
                               type_=request.POST.get("type", ""),
                               value=request.POST.get("value", ""))
    except ValidationError as exc:
        request.method = "GET"
        return report_indicators(request, report.pk, errors=_errors(exc), status=400)
    messages.success(request, _("Indicator added and confirmed."))
    return redirect("indicators:report", report_id=report.pk)


# --- campaigns ---------------------------------------------------------------------------------

@login_required
@require_GET
def campaign_list(request):
    status = request.GET.get("status", "")
    if status not in CampaignStatus.values:
        status = ""
    page = Paginator(campaign_queries.campaign_list(request.user, status=status),
                     PAGE).get_page(request.GET.get("page"))
    return render(request, "indicators/campaigns.html", {
        "page": page, "status": status, "statuses": CampaignStatus.choices,
        "new_count": campaigns.new_correlations(request.user)})


@login_required
@require_GET
def campaign_detail(request, pk: int, errors=None, status=200):
    camp = campaigns.get_campaign(request.user, pk)
    others = (Campaign.objects.filter(status__in=campaigns.ACTIVE).exclude(pk=camp.pk)
              .order_by("-last_link_at", "-id").values("pk", "name")[:200])
    return render(request, "indicators/campaign.html", {
        "view": campaign_queries.campaign_view(camp), "campaign": camp, "errors": errors or [],
        "others": others, "editable": [(c, label) for c, label in CampaignStatus.choices
                                       if c != CampaignStatus.MERGED],
    }, status=status)


def _campaign_action(request, pk, call, done: str):
    campaigns.get_campaign(request.user, pk)
    try:
        result = call()
    except ValidationError as exc:
        request.method = "GET"
        return campaign_detail(request, pk, errors=_errors(exc), status=400)
    messages.success(request, done)
    return redirect("indicators:campaign", pk=getattr(result, "pk", pk))


@login_required
@require_POST
def campaign_update(request, pk: int):
    p = request.POST
    return _campaign_action(request, pk, lambda: campaigns.update_campaign(
        actor=request.user, campaign_id=pk, name=p.get("name", ""),
        summary=p.get("summary", ""), status=p.get("status") or None), _("Campaign saved."))


@login_required
@require_POST
def campaign_merge(request, pk: int):
    into = request.POST.get("into", "")
    if not into.isdigit():
        request.method = "GET"
        return campaign_detail(request, pk, errors=[_("Choose the campaign to merge into.")],
                               status=400)
    return _campaign_action(request, pk, lambda: campaigns.merge(
        actor=request.user, campaign_id=pk, into_id=int(into)), _("Campaigns merged."))


@login_required
@require_POST
def campaign_split(request, pk: int):
    return _campaign_action(request, pk, lambda: campaigns.split(
        actor=request.user, campaign_id=pk, report_ids=request.POST.getlist("reports"),
        name=request.POST.get("name", "")), _("New campaign created from the chosen reports."))


@login_required
@require_POST
def campaign_acknowledge(request, pk: int):
    return _campaign_action(request, pk, lambda: campaigns.acknowledge(
        actor=request.user, campaign_id=pk), _("New links marked as seen."))


# --- warning lists -----------------------------------------------------------------------------

@login_required
@require_GET
def warninglist(request, errors=None, status=200):
    require_staff(request.user)
    entries = WarningListEntry.objects.select_related("establishment").order_by(
        "list_name", "type", "value")
    page = Paginator(entries, PAGE).get_page(request.GET.get("page"))
    return render(request, "indicators/warninglists.html", {
        "page": page, "errors": errors or []}, status=status)


@login_required
@require_POST
def warninglist_add(request):
    require_staff(request.user)
    est = None
    finess = request.POST.get("finess", "").strip()
    try:
        if finess:
            from vigisante.establishments.models import Establishment

            est = Establishment.objects.filter(finess=finess[:9]).first()
            if est is None:
                raise ValidationError({"finess": [_("No establishment has this FINESS number.")]})
        warninglists.add_entry(actor=request.user, value=request.POST.get("value", ""),
                               list_name=request.POST.get("list_name", ""), establishment=est)
    except ValidationError as exc:
        request.method = "GET"
        return warninglist(request, errors=_errors(exc), status=400)
    messages.success(request, _("Entry added."))
    return redirect("indicators:warninglists")


@login_required
@require_POST
def warninglist_import(request):
    require_staff(request.user)
    uploaded = request.FILES.get("file")
    try:
        if uploaded is None:
            raise ValidationError({"file": [_("Choose a MISP warning list file (JSON).")]})
        result = warninglists.import_misp(actor=request.user, uploaded=uploaded)
    except ValidationError as exc:
        request.method = "GET"
        return warninglist(request, errors=_errors(exc), status=400)
    messages.success(request, _("List %(name)s imported: %(n)d entries (%(s)d skipped).") % {
        "name": result["list"], "n": result["entries"], "s": result["skipped"]})
    return redirect("indicators:warninglists")


@login_required
@require_POST
def warninglist_remove(request, entry_id: int):
    warninglists.remove_entry(actor=request.user, entry_id=entry_id)
    messages.success(request, _("Entry removed."))
    return redirect("indicators:warninglists")


# --- correlation rebuild -------------------------------------------------------------------

REBUILD_STEP_LABELS = {
    "noise": _lazy("Flag the values seen in too many reports"),
    "indicator": _lazy("Link the reports sharing a confirmed indicator"),
    "keys": _lazy("Link the reports naming the same supplier or hit on the same system"),
    "indexes": _lazy("Index the links"),
    "campaigns": _lazy("Propose the campaigns"),
}


@login_required
@require_GET
@access.requires("view", CorrelationRebuild)
def correlation(request, status=200):
    """Every link recomputed from scratch by the worker, with its progress and history."""
    runs = list(CorrelationRebuild.objects.select_related("requested_by")[:10])
    active = next((r for r in runs if r.state in (RebuildState.QUEUED, RebuildState.RUNNING)),
                  None)
    steps = []
    if active is not None:
        for i, name in enumerate(services.REBUILD_STEPS):
            state = "done" if i < active.step else (
                "current" if i == active.step and active.state == RebuildState.RUNNING
                else "todo")
            steps.append({"label": REBUILD_STEP_LABELS[name], "state": state})
    return render(request, "indicators/correlation.html", {
        "runs": runs, "active": active, "steps": steps, "total": len(services.REBUILD_STEPS),
        "links": Link.objects.count()}, status=status)


@login_required
@require_POST
@access.requires("run", CorrelationRebuild)
def correlation_rebuild(request):
    run, queued = services.request_rebuild(actor=request.user)
    if queued:
        messages.success(request, _("Rebuild queued: the worker recomputes every link."))
    else:
        messages.info(request, _("A rebuild is already under way: here is its progress."))
    return redirect("indicators:correlation")
