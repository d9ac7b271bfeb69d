"""Incoming intelligence pages (CERT staff): upload a STIX bundle or a MISP event, list what
arrived, review one (accept chosen indicators into ours, or dismiss). Anyone else: 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from vigisante.core import access
from vigisante.sharing import intel
from vigisante.sharing.models import IncomingIntel, IntelFormat

PER_PAGE = 25


class UploadForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=IntelFormat.choices)
    file = forms.FileField(label=gettext_lazy("File (JSON)"))
    source = forms.CharField(label=gettext_lazy("Source (who sent it)"), max_length=150,
                             required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > intel.MAX_BYTES:
            raise ValidationError(_("Too large: at most %(mb)d MB.")
                                  % {"mb": intel.MAX_BYTES // 2**20})
        return upload


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def intel_list(request):
    access.require(request.user, "view", IncomingIntel)
    form = UploadForm()
    if request.method == "POST":
        access.require(request.user, "submit", IncomingIntel)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            source = "upload" + (f": {data['source']}" if data["source"] else "")
            try:
                item = intel.ingest_intel(source=source, fmt=data["format"],
                                          payload=data["file"].read(), actor=request.user)
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                if item.duplicate:
                    messages.info(request, _("This file was already received."))
                return redirect("sharing:intel-detail", item.pk)
    items = access.restrict(IncomingIntel.objects.all(), request.user, "view").defer("content")
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    status = 400 if form.errors else 200
    return render(request, "sharing/intel_list.html", {"page": page, "form": form},
                  status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def intel_detail(request, pk: int):
    item = access.get_or_404(IncomingIntel.objects.defer("content"), request.user, "view", pk)
    page = Paginator(item.candidates.select_related("indicator"), 500).get_page(
        request.GET.get("page"))
    return render(request, "sharing/intel_detail.html", {"item": item, "page": page})


@login_required
@require_POST
def intel_accept(request, pk: int):
    item = access.get_or_404(IncomingIntel.objects.defer("content"), request.user, "review", pk)
    chosen = request.POST.getlist("candidate")
    try:
        count = intel.accept(actor=request.user, intel=item, candidate_ids=chosen)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d indicators accepted; the others were dismissed.")
                         % {"n": count})
    return redirect("sharing:intel-detail", item.pk)


@login_required
@require_POST
def intel_dismiss(request, pk: int):
    item = access.get_or_404(IncomingIntel.objects.defer("content"), request.user, "review", pk)
    try:
        intel.dismiss(actor=request.user, intel=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Dismissed: nothing was added to the indicators."))
    return redirect("sharing:intel-detail", item.pk)
