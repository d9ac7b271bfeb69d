"""Pages of the regulatory drafts of a report. Each view parses, calls one service, renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vigisante.core import access
from vigisante.drafts import domain, services
from vigisante.drafts import render as files
from vigisante.drafts.forms import DpoForm, FactsForm, SentForm
from vigisante.drafts.models import Submission
from vigisante.reports.models import Report

FORMATS = files.FORMATS


def _language(request: HttpRequest) -> str:
    try:
        return services.check_language(request.GET.get("lang"))
    except ValidationError:
        raise Http404 from None


def _kind(kind: str) -> domain.DraftKind:
    try:
        return services.check_kind(kind)
    except ValidationError:
        raise Http404 from None


def gap_url(report: Report, gap: services.Gap, kind: str = "") -> str:
    """Where the reporter completes a missing fact ("" when only the CERT can give it)."""
    back = f"?next={kind}" if kind else ""
    pages = {"notification": reverse("reports:notification", args=[report.pk]),
             "final": reverse("reports:final", args=[report.pk]),
             "facts": reverse("drafts:facts", args=[report.pk]) + back,
             "dpo": reverse("drafts:dpo", args=[report.pk]) + back}
    page = pages.get(gap.where)
    return f"{page}#{gap.anchor}" if page else ""


def _gaps(report: Report, gaps: list[services.Gap], kind: str) -> list[dict]:
    return [{"gap": g, "url": gap_url(report, g, kind)} for g in gaps]


@login_required
def draft_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The drafts the report's running clocks call for, what each still lacks, what was sent."""
    language = _language(request)
    report, rows = services.overview(actor=request.user, report_id=pk, language=language)
    return render(request, "drafts/list.html", {
        "report": report, "language": language, "can_complete": access.allowed(
            request.user, "complete_drafts", report),
        "rows": [{"row": r, "gaps": _gaps(report, r.gaps, r.kind.kind)} for r in rows]})


def _detail(request: HttpRequest, built: services.Built, form: SentForm | None = None,
            status: int = 200) -> HttpResponse:
    report = built.report
    return render(request, "drafts/detail.html", {
        "built": built, "report": report, "language": built.language,
        "gaps": _gaps(report, built.gaps, built.kind.kind),
        "formats": list(FORMATS), "form": form or SentForm(),
        "can_complete": access.allowed(request.user, "complete_drafts", report),
        "submissions": Submission.objects.filter(report=report, kind=built.kind.kind)
        .select_related("recorded_by"),
    }, status=status)


@login_required
def draft_detail(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    built = services.build(actor=request.user, report_id=pk, kind=_kind(kind).kind,
                           language=_language(request))
    return _detail(request, built)


@login_required
def draft_download(request: HttpRequest, pk: int, kind: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    built = services.build(actor=request.user, report_id=pk, kind=_kind(kind).kind,
                           language=_language(request))
    content_type, make = FORMATS[fmt]
    response = HttpResponse(make(built), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{files.filename(built, fmt)}"'
    return response


@login_required
def draft_bundle(request: HttpRequest, pk: int) -> HttpResponse:
    """Every draft of the report in every format, in one ZIP."""
    _report, builts = services.build_all(actor=request.user, report_id=pk,
                                         language=_language(request))
    if not builts:
        raise Http404
    response = HttpResponse(files.bundle(builts), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{files.bundle_name(builts)}"'
    return response


@login_required
@require_POST
def record_sent(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    language = _language(request)
    draft_kind = _kind(kind)
    form = SentForm(request.POST)
    if form.is_valid():
        try:
            services.record_sent(actor=request.user, report_id=pk, kind=draft_kind.kind,
                                 sent_at=form.cleaned_data["sent_at"],
                                 reference=form.cleaned_data["reference"])
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Recorded as sent."))
            return redirect(reverse("drafts:list", args=[pk]) + f"?lang={language}")
    built = services.build(actor=request.user, report_id=pk, kind=draft_kind.kind,
                           language=language, record=False)
    return _detail(request, built, form, status=400)


def _back(request: HttpRequest, pk: int) -> str:
    """Back to the draft the reporter came from (a known kind only), else to the list."""
    kind = request.POST.get("next") or request.GET.get("next") or ""
    if kind in domain.KINDS:
        return reverse("drafts:detail", args=[pk, kind])
    return reverse("drafts:list", args=[pk])


def _form_page(request: HttpRequest, pk: int, form_class, initial, save, template: str
               ) -> HttpResponse:
    """A form completing the drafts' facts: saved through `save`, then back to the draft."""
    report = services.get_report(request.user, pk, "complete_drafts")
    form = form_class(request.POST if request.method == "POST" else None,
                      initial=initial(report))
    if request.method == "POST" and form.is_valid():
        try:
            save(actor=request.user, report_id=pk, data=form.cleaned_data)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_back(request, pk))
    return render(request, template, {
        "report": report, "form": form,
        "next": request.POST.get("next") or request.GET.get("next", "")},
        status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def edit_facts(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, pk, FactsForm, services.current_facts, services.save_facts,
                      "drafts/facts.html")


@login_required
@require_http_methods(["GET", "POST"])
def edit_dpo(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(
        request, pk, DpoForm,
        lambda report: {f: getattr(report.establishment, f) for f in services.DPO_FIELDS},
        services.save_dpo, "drafts/dpo.html")
