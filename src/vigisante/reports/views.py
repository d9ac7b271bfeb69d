"""HTML pages of the staged report. Each view parses, calls one service and renders."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vigisante.core import access, language
from vigisante.core.timeline import ESTABLISHMENT
from vigisante.reports import downloads, presenters, services
from vigisante.reports.forms import (
    AttachmentForm,
    EarlyWarningForm,
    FinalForm,
    NotificationForm,
    StageForm,
    UpdateForm,
)
from vigisante.reports.models import Report
from vigisante.reports.timeline import report_timeline

log = logging.getLogger(__name__)
MY_REPORTS_PAGE = 25
SUBMISSION_FIELD = "submission"


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    """The reporter's home: the reports of their establishments, newest first."""
    access.require(request.user, "view", Report)
    reports = Report.objects.restrict(request.user, "view").select_related("establishment")
    page = Paginator(reports, MY_REPORTS_PAGE).get_page(request.GET.get("page"))
    rows = [{"report": r, "todo": presenters.still_to_complete(r)} for r in page]
    return render(request, "reports/my_reports.html", {"page": page, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def early_warning(request: HttpRequest) -> HttpResponse:
    """The first report, in eight questions; CERT staff also say how it reached them."""
    user = request.user
    access.require(user, "create", Report)
    switch = language.requested(request)
    if switch:
        language.activate(request, switch)
    form = EarlyWarningForm(request.POST if request.method == "POST" else None, user=user)
    form.redisplay = bool(switch)  # a language switch: the same answers, in the other language
    submission = _submission_id(request)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            report, created = services.create_early_warning_once(
                actor=user, data=form.report_data(), channel=form.channel(),
                submission=submission,
                confirmed_new=request.POST.get(CONFIRM_NEW_FIELD) == "1")
        except services.LooksResent as resent:
            duplicate = resent.report
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            if not created:
                messages.info(request, _("This report had already been sent; it was not "
                                         "filed twice."))
            return redirect("reports:acknowledgement", pk=report.pk)
    no_establishment = user.is_reporter and not form.fields["establishment"].queryset.exists()
    response = render(request, "reports/early_warning.html", {
        "form": form, "submission": submission, "no_establishment": no_establishment,
        "duplicate": duplicate, "language_form": None if no_establishment else EW_FORM_ID},
        status=409 if duplicate else refused_status(form))
    # "Back" after sending must not show the old form (with its submission id) from cache.
    add_never_cache_headers(response)
    return language.remember(response, switch) if switch else response


#: The id of the early-warning form: base.html's language button submits it (issue 10).
EW_FORM_ID = "early-warning-form"


CONFIRM_NEW_FIELD = "confirm_new"


def _submission_id(request: HttpRequest) -> str:
    """The hidden id of one filling of the form (kept across re-displays with errors)."""
    value = request.POST.get(SUBMISSION_FIELD, "") if request.method == "POST" else ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.uuid4())


@login_required
def acknowledgement(request: HttpRequest, pk: int) -> HttpResponse:
    """The reference, very visible, and what happens next."""
    report = services.get_report(request.user, pk, "view")
    return render(request, "reports/acknowledgement.html", {
        "report": report, "todo": presenters.still_to_complete(report)})


def refused_status(form: BaseForm) -> int:
    """400 when the submitted form is refused (its errors are shown), else 200 (a first
    display, or a form shown again as typed after a language switch). The page is the same
    either way, so it works without JavaScript; the status tells scripts and tests."""
    return 400 if form.is_bound and form.errors else 200


def _detail(request: HttpRequest, report: Report, *, update_form: UpdateForm | None = None,
            attachment_form: AttachmentForm | None = None) -> HttpResponse:
    refused = [f for f in (update_form, attachment_form) if f is not None]
    return render(request, "reports/detail.html", {
        "report": report,
        "stages": presenters.stages(report),
        "todo": presenters.still_to_complete(report),
        # As the establishment reads it, whoever looks (the CERT's link says so).
        "timeline": report_timeline(report, audience=ESTABLISHMENT),
        "attachments": report.attachments.all(),
        "update_form": update_form or UpdateForm(),
        "attachment_form": attachment_form or AttachmentForm(),
    }, status=max([refused_status(f) for f in refused], default=200))


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything known about one report, its timeline and its files."""
    report = services.get_report(request.user, pk, "view")
    return _detail(request, report)


def _stage_page(request: HttpRequest, pk: int, form_class: type[StageForm],
                save: Callable[..., Report], template: str, done: str,
                stage: str) -> HttpResponse:
    """Notification and final report: save a draft, or submit; a stale version saves nothing."""
    report = services.get_report(request.user, pk, "change")
    conflict = False
    switch = language.requested(request)
    if switch:
        language.activate(request, switch)
    if request.method == "POST":
        form = form_class(request.POST)
        form.redisplay = bool(switch)  # a language switch: shown again as typed, not saved
        submit = request.POST.get("action") == "submit"
        if form.is_valid():
            try:
                save(actor=request.user, report_id=report.pk, data=form.report_data(),
                     complete=submit, expected_version=form.cleaned_data["version"])
            except ValidationError as exc:
                conflict = "version" in exc.message_dict
                form.apply_service_errors(exc)
            else:
                if submit:
                    messages.success(request, done)
                    return redirect("reports:detail", pk=report.pk)
                messages.success(request, _("Draft saved. You can come back to it at any time."))
                return redirect(request.path)
        elif not form.redisplay:
            _add_stage_errors(form, stage, report)
    else:
        form = form_class.for_report(report)
    response = render(request, template, {"report": report, "form": form, "conflict": conflict,
                                          "language_form": STAGE_FORM_ID,
                                          "language_form_action": "draft"},
                      status=409 if conflict else refused_status(form))
    return language.remember(response, switch) if switch else response


def _add_stage_errors(form: StageForm, stage: str, report: Report) -> None:
    """A form that refused some fields: the checks saving would run on the others too, so
    that every error shows in one round (the refused fields count as empty, and keep only
    their own error)."""
    data = {k: form.cleaned_data.get(k) for k in form.stage_fields}
    for key, messages_ in services.stage_errors(stage, report, data).items():
        if key in form.fields and key not in form.errors:
            form.add_error(key, messages_)


STAGE_FORM_ID = "stage-form"


@login_required
@require_http_methods(["GET", "POST"])
def notification(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage_page(request, pk, NotificationForm, services.save_notification,
                       "reports/notification.html", _("Notification submitted. Thank you."),
                       "notification")


@login_required
@require_http_methods(["GET", "POST"])
def final(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage_page(request, pk, FinalForm, services.save_final, "reports/final.html",
                       _("Final report submitted: your report is complete. The CERT "
                         "closes its case when its own work on it is done."), "final")


@login_required
@require_POST
def add_update(request: HttpRequest, pk: int) -> HttpResponse:
    report = services.get_report(request.user, pk, "change")
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            services.add_update(actor=request.user, report_id=report.pk,
                                text=form.cleaned_data["text"])
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Update added to the timeline."))
            return redirect(reverse("reports:detail", args=[report.pk]) + "#timeline")
    return _detail(request, report, update_form=form)


@login_required
@require_POST
def add_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    report = services.get_report(request.user, pk, "change")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_attachment(actor=request.user, report_id=report.pk,
                                    uploaded=form.cleaned_data["file"])
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("File attached."))
            return redirect(reverse("reports:detail", args=[report.pk]) + "#attachments")
    return _detail(request, report, attachment_form=form)


@login_required
def download_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """Serve a file only to who may see the report; never rendered by the browser."""
    att = services.open_attachment(actor=request.user, report_id=pk, attachment_id=attachment_pk)
    return downloads.attachment_response(att)


@login_required
def incoming(request: HttpRequest) -> HttpResponse:
    """The former "incoming reports" list: the analysts' one list is now triage's queue
    (issue 10). Old bookmarks land there permanently, with their filters; whoever may not
    triage gets the same 404 as from the queue."""
    access.require(request.user, "triage", Report)
    target = reverse("triage:queue")
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)
