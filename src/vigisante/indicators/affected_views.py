""""Are we affected?" pages: paste values or upload a log, see the matching lines, turn a
match into a report. The upload is scanned as it arrives (an upload handler feeds the
matcher) and never written anywhere; the results are rendered once, for the uploader."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from vigisante.core import access
from vigisante.core.api_views import write_transaction
from vigisante.establishments.forms import SEARCH_ABOVE, EstablishmentField
from vigisante.establishments.models import Establishment
from vigisante.indicators import affected
from vigisante.indicators.models import Indicator
from vigisante.reports.forms import VigisanteForm


class CheckForm(VigisanteForm):
    establishment = forms.ModelChoiceField(
        label=gettext_lazy("Establishment"), queryset=Establishment.objects.none(),
        required=False, empty_label=None)
    text = forms.CharField(
        label=gettext_lazy("Values or log lines to check"), required=False,
        max_length=affected.MAX_TEXT_CHARS,
        help_text=gettext_lazy("Domains, IP addresses, URLs, e-mail addresses or hashes, "
                               "or lines copied from a log. One or many per line."),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false",
                                     "autocapitalize": "off"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        ests = access.restrict(Establishment.objects.order_by("name"), user, "report")
        self.fields["establishment"].queryset = ests
        few = list(ests[:SEARCH_ABOVE + 1])
        if len(few) > SEARCH_ABOVE:
            # CERT staff check for any establishment: a search, not a list (issue 10).
            self.fields["establishment"] = EstablishmentField(
                queryset=ests, label=gettext_lazy("Establishment"), required=False,
                help_text=gettext_lazy("Part of its name, its town or its FINESS number."))
        elif len(few) <= 1:
            self.fields["establishment"].widget = forms.HiddenInput()
            self.initial["establishment"] = few[0].pk if few else None


class LogScanHandler(FileUploadHandler):
    """Feeds the `log` file of the request to a check as it arrives; keeps nothing."""

    def __init__(self, request: HttpRequest):
        super().__init__(request)
        self.check: affected.Check | None = None
        self.too_large = False

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name == "log" and file_name and self.check is None:
            self.check = affected.Check(actor=self.request.user, source=file_name,
                                        max_bytes=affected.max_upload_bytes())

    def receive_data_chunk(self, raw_data, start):
        if self.check is None or self.field_name != "log":
            return None
        if start + len(raw_data) > affected.max_upload_bytes():
            self.too_large = True
            self.check.fail(_("The file is larger than %(n)d MB.")
                            % {"n": affected.max_upload_bytes() // (1024 * 1024)})
            raise StopUpload(connection_reset=False)
        self.check.push(raw_data)
        return None

    def file_complete(self, file_size):
        return None


@login_required
@csrf_exempt
def check(request: HttpRequest) -> HttpResponse:
    """The page (GET) and the check (POST: pasted text, or a log file, streamed)."""
    access.require(request.user, "receive", Indicator)
    handler = LogScanHandler(request)
    if request.method == "POST":
        request.upload_handlers = [handler]
    return _check(request, handler)


@csrf_protect
def _check(request: HttpRequest, handler: LogScanHandler) -> HttpResponse:
    user = request.user
    result = None
    if request.method == "POST":
        try:
            form = CheckForm(request.POST, user=user)
            form.is_valid()
        except (RequestDataTooBig, SuspiciousOperation):
            form = CheckForm(user=user)
            form.add_error(None, _("The text is too long; upload it as a file instead."))
        if not form.errors and not form.redisplaying():  # (not after an establishment search)
            text = form.cleaned_data.get("text") or ""
            if handler.check is not None:
                result = handler.check.result()
            elif text.strip():
                try:
                    result = affected.check_text(actor=user, text=text)
                except ValidationError as exc:
                    form.apply_service_errors(exc)
            else:
                form.add_error("text", _("Paste values or log lines, or choose a log file."))
        establishment = form.cleaned_data.get("establishment") if not form.errors else None
    else:
        form = CheckForm(user=user)
        establishment = None
    if result is not None and result.error:
        form.add_error(None, result.error)
        result = None
    response = render(request, "indicators/affected.html", {
        "form": form, "result": result,
        "establishment_id": establishment.pk if establishment else form.initial.get(
            "establishment"),
        "max_mb": affected.max_upload_bytes() // (1024 * 1024),
        "no_establishment": not form.fields["establishment"].queryset.exists()},
        status=400 if request.method == "POST" and form.errors else 200)  # refused input
    add_never_cache_headers(response)  # the matching lines are for this response only
    response["Cache-Control"] += ", no-store"
    return response


@login_required
@require_POST
def report(request: HttpRequest) -> HttpResponse:
    """One click on a match: an early warning linked to the indicator's campaigns."""
    post = request.POST
    try:
        with write_transaction():
            new = affected.report_match(
                actor=request.user, establishment_id=post.get("establishment"),
                indicator_id=post.get("indicator"), count=post.get("count"),
                first_line=post.get("line"), source=post.get("source", ""))
    except ValidationError as exc:
        form = CheckForm(user=request.user)
        form.apply_service_errors(exc)
        return render(request, "indicators/affected.html", {
            "form": form, "max_mb": affected.max_upload_bytes() // (1024 * 1024)}, status=400)
    return redirect("reports:acknowledgement", pk=new.pk)
