"""The observatory in the site: the report of a period as a page, and its downloads.

Who sees what: CERT staff (analysts, admins) choose the internal or the public version;
observers always get the public version (small counts suppressed, no narratives, no
structure names); reporters and anything else get a 404, anonymous users the login page.
"""

from __future__ import annotations

import io
import zipfile

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from vigisante.observatory import render as out
from vigisante.observatory import services
from vigisante.observatory.forms import PeriodForm, last_full_year


def can_view(user) -> bool:
    return bool(user.is_authenticated and (user.is_cert_staff or user.is_observer))


def period_form(request: HttpRequest) -> PeriodForm:
    """The selector bound to the query string (every parameter optional)."""
    if not can_view(request.user):
        raise Http404
    return PeriodForm(request.GET or None, default_year=last_full_year(
        timezone.localdate()), can_see_internal=request.user.is_cert_staff)


def report_for(form: PeriodForm) -> services.ObservatoryReport:
    return services.build_report(form.period(), source=form.chosen_source(),
                                 public=form.is_public(),
                                 health_only=bool(form.cleaned_data.get("health_only")))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    form = period_form(request)
    context = {"form": form}
    if not form.is_bound or form.is_valid():
        if not form.is_bound:
            form = PeriodForm({"year": form.default_year}, default_year=form.default_year,
                              can_see_internal=request.user.is_cert_staff)
            form.is_valid()
            context["form"] = form
        report = report_for(form)
        context.update(out.context(report))
        context["query"] = request.GET.urlencode()
        context["tables"] = [t.id for s in report.sections for t in s.tables]
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "observatory/index.html", context, status=status)


def _download(request: HttpRequest, build) -> HttpResponse:
    form = period_form(request)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(
            "\n".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
            content_type="text/plain; charset=utf-8")
    if not form.is_bound:
        form = PeriodForm({"year": form.default_year}, default_year=form.default_year,
                          can_see_internal=request.user.is_cert_staff)
        form.is_valid()
    report = report_for(form)
    version = "public" if report.public else "internal"
    stem = f"observatory-{report.source}-{report.period.key()}-{version}"
    return build(report, stem)


def _attachment(body, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    return _download(request, lambda r, stem: _attachment(
        out.figures_json(r), "application/json; charset=utf-8", f"{stem}.json"))


@login_required
def pdf(request: HttpRequest) -> HttpResponse:
    return _download(request, lambda r, stem: _attachment(
        out.pdf(out.html(r)), "application/pdf", f"{stem}.pdf"))


@login_required
def tables_zip(request: HttpRequest) -> HttpResponse:
    def build(report, stem):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in sorted(out.csv_files(report).items()):
                z.writestr(zipfile.ZipInfo(f"{stem}/{name}", (1980, 1, 1, 0, 0, 0)), text)
        return _attachment(buf.getvalue(), "application/zip", f"{stem}-csv.zip")

    return _download(request, build)


@login_required
def table_csv(request: HttpRequest, table_id: str) -> HttpResponse:
    def build(report, stem):
        files = out.csv_files(report)
        name = f"{table_id}.csv"
        if name not in files:
            raise Http404(_("No such table."))
        return _attachment(files[name], "text/csv; charset=utf-8", f"{stem}-{name}")

    return _download(request, build)
