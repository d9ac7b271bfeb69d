"""Analyst pages: the work queue and the case page. Thin: parse, call a service, render.

Every action is a plain POST form that redirects back (works without JavaScript); invalid
input re-renders the case page with the errors next to the fields (status 400, or 409 for an
edit conflict).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from vigisante.reports import presenters as report_presenters
from vigisante.triage import exchanges, forms, presenters, queries, services
from vigisante.triage.domain import State


def _status(exc: ValidationError) -> int:
    return 409 if services.is_conflict(exc) else 400


@login_required
@require_http_methods(["GET", "POST"])
def queue(request):
    """The analyst's work queue: opens on what needs action, with a triage signal on each row,
    compact filters, sortable columns and pages reaching every report."""
    services.require_staff(request.user)
    if request.method == "POST":
        return _bulk_acknowledge(request)
    form = forms.QueueFilterForm(request.GET)
    form.is_valid()
    filters = form.queue_filters()
    now = timezone.now()
    ids = queries.queue_ids(actor=request.user, filters=filters, now=now)
    page = Paginator(ids, form.per_page_value()).get_page(request.GET.get("page"))
    page.object_list = queries.queue_rows(list(page.object_list), now)
    params = {k: v for k, v in request.GET.items() if k != "page" and v and k in form.fields}
    return render(request, "triage/queue.html", {
        "form": form, "page": page, "rows": presenters.queue_rows(page.object_list),
        "filters": filters, "now": now, "more_open": form.more_active(),
        "query": urlencode(params), "columns": _sort_columns(params, filters.sort),
        "received": State.RECEIVED,
    }, status=400 if form.errors else 200)


SORTABLE = {"reference": gettext_lazy("Reference"), "received": gettext_lazy("Received"),
            "establishment": gettext_lazy("Establishment"), "state": gettext_lazy("State"),
            "severity": gettext_lazy("Severity")}


def _sort_columns(params: dict, current: str) -> dict[str, dict]:
    """Per sortable column: its link (the other direction when it is the current sort), and
    its aria-sort and arrow when it is the current sort."""
    columns = {}
    for key, label in SORTABLE.items():
        direction = ("descending" if current == f"-{key}" else
                     "ascending" if current == key else "")
        if direction == "ascending" or (not direction and key == "received"):
            target = f"-{key}"
        else:
            target = key
        columns[key] = {"href": "?" + urlencode({**params, "sort": target}), "label": label,
                        "aria_sort": direction,
                        "arrow": {"ascending": "▲", "descending": "▼"}.get(direction, "")}
    return columns


def _bulk_acknowledge(request):
    back = reverse("triage:queue")
    query = request.POST.get("query", "")
    if query and not query.startswith(("/", "http", "\\")) and "\n" not in query:
        back += "?" + query[:2000]
    try:
        result = services.bulk_acknowledge(actor=request.user,
                                           report_ids=request.POST.getlist("report_ids"))
    except ValidationError as exc:
        for msgs in exc.message_dict.values():
            for m in msgs:
                messages.error(request, m)
        return redirect(back)
    if result.acknowledged:
        messages.success(request, _("Acknowledged: %(refs)s.") % {
            "refs": ", ".join(result.acknowledged)})
    for ref, why in result.skipped:
        messages.warning(request, _("Not acknowledged: %(ref)s (%(why)s).") % {
            "ref": ref, "why": why})
    return redirect(back)


def _case_forms(view: queries.CaseView, **bound) -> dict:
    case = view.case
    version = {"version": case.version}
    qualification = {k: getattr(case, k) for k in (
        "origin", "kind", "attack_vector", "detection_source", "detection_stage",
        "ransomware_extent")}
    if case.severity and case.severity != view.assessment.severity:
        qualification["severity"] = case.severity
    built = {
        "qualify_form": forms.QualifyForm(initial={**version, **qualification}),
        "transition_form": forms.TransitionForm(initial=version),
        "assign_form": forms.AssignForm(
            initial={**version, "assigned_to": str(case.assigned_to_id or "")},
            analysts=view.analysts),
        "note_form": forms.NoteForm(),
        "message_form": forms.MessageForm(),
        "support_form": forms.SupportForm(initial={"out_of_hours": "auto"}),
    }
    built.update(bound)
    return built


def _render_case(request, report_id, status=200, **bound):
    view = queries.case_view(actor=request.user, report_id=report_id)
    context = {"view": view, "case": view.case, "report": view.report,
               "stages": report_presenters.stages(view.report), **_case_forms(view, **bound)}
    return render(request, "triage/case.html", context, status=status)


@login_required
def case(request, report_id: int):
    """The case page: facts, qualification, workflow, messages, notes, support, history."""
    return _render_case(request, report_id)


def _done(request, report_id: int, message: str, anchor: str):
    messages.success(request, message)
    return redirect(reverse("triage:case", args=[report_id]) + anchor)


def _action(request, report_id, form, form_name, call, success, anchor):
    """Validate the form, call the service, redirect on success, re-render on failure."""
    services.require_staff(request.user)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
            return _render_case(request, report_id, status=_status(exc), **{form_name: form})
        return _done(request, report_id, success, anchor)
    status = 409 if "version" in form.errors else 400
    if "version" in form.errors:
        form.errors.pop("version")
        form.add_error(None, _("The form is missing the case version: reload the page."))
    return _render_case(request, report_id, status=status, **{form_name: form})


@login_required
@require_POST
def qualify(request, report_id: int):
    form = forms.QualifyForm(request.POST)
    return _action(request, report_id, form, "qualify_form", lambda d: services.qualify(
        actor=request.user, report_id=report_id, origin=d["origin"], kind=d["kind"],
        severity=d["severity"], attack_vector=d["attack_vector"],
        detection_source=d["detection_source"], detection_stage=d["detection_stage"],
        ransomware_extent=d["ransomware_extent"], comment=d["comment"],
        expected_version=d["version"]), _("Qualification saved."), "#qualification")


@login_required
@require_POST
def transition(request, report_id: int):
    form = forms.TransitionForm(request.POST)
    return _action(request, report_id, form, "transition_form", lambda d: services.transition(
        actor=request.user, report_id=report_id, to_state=d["to_state"], comment=d["comment"],
        duplicate_of=d["duplicate_of"], expected_version=d["version"]),
        _("State changed."), "#workflow")


@login_required
@require_POST
def assign(request, report_id: int):
    services.require_staff(request.user)
    form = forms.AssignForm(request.POST, analysts=services.analysts())
    return _action(request, report_id, form, "assign_form", lambda d: services.assign(
        actor=request.user, report_id=report_id, assignee=d["assigned_to"] or None,
        expected_version=d["version"]), _("Assignment saved."), "#workflow")


@login_required
@require_POST
def add_note(request, report_id: int):
    form = forms.NoteForm(request.POST)
    return _action(request, report_id, form, "note_form", lambda d: exchanges.add_note(
        actor=request.user, report_id=report_id, text=d["text"]), _("Note added."), "#notes")


@login_required
@require_POST
def send_message(request, report_id: int):
    form = forms.MessageForm(request.POST)
    return _action(request, report_id, form, "message_form", lambda d: exchanges.send_message(
        actor=request.user, report_id=report_id, text=d["text"]),
        _("Message sent to the establishment."), "#messages")


@login_required
@require_POST
def record_support(request, report_id: int):
    form = forms.SupportForm(request.POST)
    return _action(request, report_id, form, "support_form", lambda d: exchanges.record_support(
        actor=request.user, report_id=report_id, type=d["type"], started_at=d["started_at"],
        ended_at=d["ended_at"], out_of_hours=form.out_of_hours_value(), notes=d["notes"]),
        _("Support recorded."), "#support")


@login_required
@require_http_methods(["GET", "POST"])
def reply(request, report_id: int):
    """The establishment's answer to the CERT (its reporters only)."""
    view_case = exchanges.reporter_case(request.user, report_id)
    form = forms.ReplyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                exchanges.reply(actor=request.user, report_id=report_id,
                               text=form.cleaned_data["text"])
            except ValidationError as exc:
                forms.apply_errors(form, exc)
            else:
                messages.success(request, _("Your answer was sent to the CERT."))
                return redirect(reverse("reports:detail", args=[report_id]) + "#cert-messages")
        status = 400
    panel = queries.reporter_view(user=request.user, report=view_case.report)
    return render(request, "triage/reply.html", {
        "report": view_case.report, "panel": panel, "form": form}, status=status)
