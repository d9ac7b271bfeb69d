"""The observatory in the site. Every page and download serves a stored snapshot; nothing is
computed in the request.

- Published snapshots (`published/...`): open to anyone, without an account. Observers are
  sent there: they see the same published versions as the public.
- Free periods (`/observatory/?year=...` or from/to, source, version): CERT staff. A period
  not computed yet is queued for the worker; the page shows the progress and refreshes.
- Publications (`publications/`): CERT admins prepare a year's public snapshot, review the
  draft and publish it.
"""

from __future__ import annotations

import io
import zipfile
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vigisante.core import access as core_access
from vigisante.observatory import access as policy
from vigisante.observatory import domain, services
from vigisante.observatory.forms import PeriodForm, PrepareForm
from vigisante.observatory.models import Snapshot, SnapshotFile

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "pdf": "application/pdf",
                 "zip": "application/zip", "html": "text/html; charset=utf-8",
                 "csv": "text/csv; charset=utf-8"}


def _lang() -> str:
    lang = (translation.get_language() or "fr")[:2]
    return lang if lang in services.LANGUAGES else "fr"


def _files(snap: Snapshot) -> dict[str, tuple[str, int]]:
    return {n: (h, s) for n, h, s in snap.files.values_list("name", "sha256", "size")}


def _downloads(snap: Snapshot, url_for, files: dict | None = None) -> list[dict]:
    """The downloads of a snapshot in the active language, with size and sha256."""
    lang = _lang()
    files = _files(snap) if files is None else files
    # the PDF in the page's language, else in the one it was printed in
    pdf = next((n for n in (f"report.{lang}.pdf", "report.fr.pdf", "report.en.pdf")
                if n in files), "")
    out = []
    for name, label in (("figures.json", _("Figures (JSON)")),
                        (f"tables.{lang}.zip", _("Tables (CSV, zip)")),
                        (pdf, _("Report (PDF)")),
                        (f"report.{lang}.html", _("Report (HTML)"))):
        if name in files:
            out.append({"name": name, "label": label, "url": url_for(name),
                        "sha256": files[name][0], "size": files[name][1]})
    return out


def _page_html(snap: Snapshot) -> str:
    return (services.file_bytes(snap, f"page.{_lang()}.html") or b"").decode()


def _serve(snap: Snapshot, name: str, stem: str) -> HttpResponse:
    """A stored file, byte for byte; a single CSV is read from the language's zip."""
    if name.startswith("tables/") and name.endswith(".csv"):
        data = services.file_bytes(snap, f"tables.{_lang()}.zip")
        if data is None:
            raise Http404
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            member = name.removeprefix("tables/")
            if member not in z.namelist():
                raise Http404(_("No such table."))
            body = z.read(member)
        filename = f"{stem}-{member}"
    else:
        row = SnapshotFile.objects.filter(snapshot=snap, name=name).values_list(
            "content", "sha256").first()
        if row is None:
            raise Http404
        body = bytes(row[0])
        filename = f"{stem}-{name}"
    ext = name.rsplit(".", 1)[-1]
    response = HttpResponse(body, content_type=CONTENT_TYPES.get(ext, "application/octet-stream"))
    disposition = "inline" if ext == "html" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=3600" if snap.is_published else "private"
    if ext == "html":  # a standalone document: its own inline <style> only, nothing to run
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; " \
                                              "img-src data:"
    return response


# -- published snapshots: open to anyone ------------------------------------------------------

def published_index(request: HttpRequest) -> HttpResponse:
    years: dict[int, list[Snapshot]] = {}
    for snap in services.published():
        years.setdefault(snap.year, []).append(snap)
    return render(request, "observatory/published_index.html", {"years": years})


def _published_or_404(year: int, version: int | None) -> Snapshot:
    qs = services.published(year)
    snap = qs.filter(version=version).first() if version else qs.first()
    if snap is None:
        raise Http404(_("This year has not been published."))
    return snap


def published(request: HttpRequest, year: int, version: int | None = None) -> HttpResponse:
    """The stored page of a published version, nothing computed: one query (its versions
    with their files' names and hashes); the page's bytes are read once per process
    (by their hash), whatever the number of reports."""
    versions, files_of = services.published_with_files(year)
    snap = next((v for v in versions if v.version == version), None) if version else (
        versions[0] if versions else None)
    if snap is None:
        raise Http404(_("This year has not been published."))
    files = files_of[snap.pk]
    name = f"page.{_lang()}.html"
    page = (services.stored_bytes(snap.pk, name, files[name][0]) or b"").decode() \
        if name in files else ""
    return render(request, "observatory/published.html", {
        "snap": snap, "versions": versions, "latest": versions[0],
        "downloads": _downloads(snap, lambda n: reverse(
            "observatory:published_file", args=[snap.year, snap.version, n]), files),
        "page": page, "figures_sha256": files["figures.json"][0]})


def published_file(request: HttpRequest, year: int, version: int, name: str) -> HttpResponse:
    snap = _published_or_404(year, version)
    return _serve(snap, name, f"observatory-{year}-v{version}")


# -- free periods: CERT staff -----------------------------------------------------------------

def _form(request: HttpRequest) -> PeriodForm:
    return PeriodForm(request.GET or None, default_year=services.default_year(
        timezone.localdate()), can_see_internal=True)


def _observer_redirect(request: HttpRequest) -> HttpResponse:
    """Observers (and anyone else signed in) see the published versions."""
    year = request.GET.get("year")
    if year and year.isdigit() and services.latest_published(int(year)):
        return redirect("observatory:published", year=int(year))
    latest = services.latest_published_year()
    if latest is not None and not year:
        return redirect("observatory:published", year=latest)
    return redirect("observatory:published_index")


def _params(form: PeriodForm) -> dict:
    return {"period": form.period(), "source": form.chosen_source(),
            "public": form.is_public(),
            "health_only": bool(form.cleaned_data.get("health_only"))}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not policy.may_compute(request.user):
        if policy.sees_published_only(request.user):
            return _observer_redirect(request)
        raise Http404
    form = _form(request)
    if not form.is_bound:
        form = PeriodForm({"year": form.default_year}, default_year=form.default_year,
                          can_see_internal=True)
    context: dict = {"form": form, "hidden": [(k, v) for k, v in form.data.items() if v]}
    if not form.is_valid():
        return render(request, "observatory/index.html", context, status=400)
    params = _params(form)
    ready, pending = services.working_snapshot(**params)
    if ready is None and pending is None:
        pending = services.request_snapshot(actor=request.user, now=timezone.now(), **params)
    context.update(ready=ready, pending=pending)
    if ready is not None:
        context["page"] = _page_html(ready)
        context["downloads"] = _downloads(ready, lambda n: reverse(
            "observatory:snapshot_file", args=[ready.pk, n]))
    return render(request, "observatory/index.html", context)


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    if not policy.may_compute(request.user):
        raise Http404
    form = PeriodForm(request.POST, default_year=services.default_year(timezone.localdate()),
                      can_see_internal=True)
    if not form.is_valid():
        messages.error(request, _("Invalid period."))
        return redirect("observatory:index")
    services.request_snapshot(actor=request.user, now=timezone.now(), **_params(form))
    query = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken" and v}
    return redirect(reverse("observatory:index") + "?" + urlencode(sorted(query.items())))


@login_required
def snapshot_file(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    snap = Snapshot.objects.filter(pk=pk, state=Snapshot.State.DONE).first()
    if snap is None:
        raise Http404
    if snap.is_published:
        return redirect("observatory:published_file", snap.year, snap.version, name)
    core_access.require(request.user, "view", snap)  # working copies and drafts: staff
    period = domain.Period.between(snap.first_day, snap.last_day)
    version = "public" if snap.public else "internal"
    return _serve(snap, name, f"observatory-{snap.source}-{period.key()}-{version}")


# -- publications: CERT admins ----------------------------------------------------------------

def _admin_only(request: HttpRequest) -> None:
    if not policy.may_review(request.user):
        raise Http404


@login_required
def publications(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = PrepareForm(request.POST or None, this_year=timezone.localdate().year)
    if request.method == "POST":
        if not policy.may_publish(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                snap = services.prepare_publication(
                    actor=request.user, year=form.cleaned_data["year"],
                    note=form.cleaned_data["note"], now=timezone.now())
            except services.ObservatoryError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("observatory:publication", pk=snap.pk)
    drafts = Snapshot.objects.filter(purpose=Snapshot.Purpose.PUBLICATION,
                                     published_at__isnull=True).order_by("-year")
    return render(request, "observatory/publications.html", {
        "form": form, "drafts": drafts, "published": services.published(),
        "can_publish": policy.may_publish(request.user)},
        status=400 if form.errors else 200)


@login_required
def publication(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    snap = Snapshot.objects.filter(pk=pk, purpose=Snapshot.Purpose.PUBLICATION).first()
    if snap is None:
        raise Http404
    if snap.is_published:
        return redirect("observatory:published_version", year=snap.year, version=snap.version)
    error = None
    if request.method == "POST":
        if not policy.may_publish(request.user):
            raise PermissionDenied
        try:
            services.publish(actor=request.user, snapshot_id=snap.pk, now=timezone.now())
        except services.ObservatoryError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Published."))
            return redirect("observatory:published_version", year=snap.year,
                            version=snap.version)
    context = {"snap": snap, "error": error, "can_publish": policy.may_publish(
        request.user), "previous": services.latest_published(snap.year)}
    if snap.state == Snapshot.State.DONE:
        context["page"] = _page_html(snap)
        context["downloads"] = _downloads(snap, lambda n: reverse(
            "observatory:snapshot_file", args=[snap.pk, n]))
    return render(request, "observatory/publication.html", context,
                  status=400 if error else 200)
