"""Downloads in the sharing formats, for people (signed in) and machines (API token):
an alert or a campaign as a STIX 2.1 bundle or a MISP event, and the MISP feed.

Each route asks the access policy (`export` on the alert or campaign, `view` on the alerts for
the feed); a refusal is a 404. The feed is what a MISP instance subscribes to: give it the
URL of `manifest.json` without the file name, and the header `Authorization: Token vs_...`.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes, renderer_classes
from rest_framework.renderers import JSONRenderer

from vigisante.core import access
from vigisante.core.api_views import IsAuthenticatedAndVerified
from vigisante.indicators.models import Campaign
from vigisante.sharing import exports, misp, stix
from vigisante.sharing.models import Alert

STIX_TYPE = "application/stix+json;version=2.1"
JSON_PARAMS = {"ensure_ascii": False}


def _download(data, name: str, content_type: str = "application/json") -> HttpResponse:
    response = HttpResponse(stix.dumps(data), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _alert(request, pk) -> Alert:
    return access.get_or_404(Alert.objects.select_related("campaign"), request.user, "export",
                             pk)


def _campaign(request, pk) -> Campaign:
    return access.get_or_404(Campaign.objects.all(), request.user, "export", pk)


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([IsAuthenticatedAndVerified])
@renderer_classes([JSONRenderer])
def alert_stix(request, pk: int):
    alert = _alert(request, pk)
    return _download(exports.alert_stix(alert), f"alert-{alert.pk}.stix.json", STIX_TYPE)


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([IsAuthenticatedAndVerified])
@renderer_classes([JSONRenderer])
def alert_misp(request, pk: int):
    alert = _alert(request, pk)
    return _download(exports.alert_misp(alert), f"alert-{alert.pk}.misp.json")


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([IsAuthenticatedAndVerified])
@renderer_classes([JSONRenderer])
def campaign_stix(request, pk: int):
    campaign = _campaign(request, pk)
    return _download(exports.campaign_stix(campaign), f"campaign-{campaign.pk}.stix.json",
                     STIX_TYPE)


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([IsAuthenticatedAndVerified])
@renderer_classes([JSONRenderer])
def campaign_misp(request, pk: int):
    campaign = _campaign(request, pk)
    return _download(exports.campaign_misp(campaign), f"campaign-{campaign.pk}.misp.json")


def _feed(request) -> list:
    access.require(request.user, "view", Alert)
    return exports.feed_events(request.user)


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([IsAuthenticatedAndVerified])
@renderer_classes([JSONRenderer])
def feed_manifest(request):
    return JsonResponse(misp.manifest(_feed(request)), json_dumps_params=JSON_PARAMS)


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([IsAuthenticatedAndVerified])
@renderer_classes([JSONRenderer])
def feed_event(request, event_uuid):
    access.require(request.user, "view", Alert)
    event = exports.feed_event(request.user, str(event_uuid))
    if event is None:
        raise Http404("No such event.")
    return JsonResponse(event, json_dumps_params=JSON_PARAMS)


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([IsAuthenticatedAndVerified])
@renderer_classes([JSONRenderer])
def feed_hashes(request):
    return HttpResponse(misp.hashes(_feed(request)), content_type="text/csv; charset=utf-8")
