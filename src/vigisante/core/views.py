"""The home page sends each role to its own start page; `/healthz` for load balancers."""

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.db.models import Max
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from vigisante.core.models import Heartbeat


@login_required
def home(request):
    user = request.user
    if user.is_cert_staff:
        # The analysts' one list of reports: triage's work queue.
        return redirect("triage:queue")
    if user.is_observer:
        return redirect("observatory:index")
    if getattr(user, "is_authority", False):
        return redirect("authorities:dashboard")
    return redirect("reports:my_reports")


@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request):
    """For a load balancer: 200 when the database answers and a worker beat recently,
    else 503. No authentication, no data: only the state of each check."""
    from django.conf import settings

    body: dict = {"database": "ok", "worker": "ok", "worker_heartbeat_age_seconds": None}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        newest = Heartbeat.objects.aggregate(newest=Max("at"))["newest"]
    except DatabaseError:
        body.update(database="unavailable", worker="unknown")
        healthy = False
    else:
        if newest is None:
            body["worker"] = "missing"
            healthy = False
        else:
            age = max(0.0, (timezone.now() - newest).total_seconds())
            body["worker_heartbeat_age_seconds"] = round(age, 1)
            if age > settings.HEALTH_MAX_HEARTBEAT_SECONDS:
                body["worker"] = "stale"
                healthy = False
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)
