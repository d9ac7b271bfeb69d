"""The home page sends each role to its own start page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    user = request.user
    if user.is_cert_staff:
        # The analyst's work queue (triage); reports:incoming stays as the plain list.
        return redirect("triage:queue")
    if user.is_observer:
        return redirect("observatory:index")
    return redirect("reports:my_reports")
