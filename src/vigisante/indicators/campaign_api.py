"""The campaigns API (/api/v1/campaigns/): CERT staff only, everyone else gets 404.

Thin views over the services of vigisante.indicators.campaigns, like the pages.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from vigisante.core.api import page_of
from vigisante.core.api_views import IsAuthenticatedAndVerified
from vigisante.indicators import campaign_queries, campaigns
from vigisante.indicators.access import is_staff
from vigisante.indicators.models import CampaignStatus, IndicatorType, LinkReason, Tlp

TAGS = ["campaigns"]
ERROR_400 = OpenApiResponse(OpenApiTypes.OBJECT,
                            description='Bad input: `{"field": ["message"]}` naming each field.')
ERROR_404 = OpenApiResponse(OpenApiTypes.OBJECT,
                            description="No such campaign, or you are not CERT staff.")


# --- shapes ------------------------------------------------------------------------------------

class CampaignRow(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=CampaignStatus.choices)
    summary = serializers.CharField()
    merged_into = serializers.IntegerField(source="merged_into_id", allow_null=True)
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    last_link_at = serializers.DateTimeField(allow_null=True)
    new_links = serializers.SerializerMethodField()
    report_count = serializers.IntegerField()
    establishment_count = serializers.IntegerField()
    first_report_at = serializers.DateTimeField(allow_null=True)
    last_report_at = serializers.DateTimeField(allow_null=True)

    def get_new_links(self, obj) -> bool:
        return bool(obj.last_link_at and (obj.reviewed_at is None
                                          or obj.last_link_at > obj.reviewed_at))


class CampaignReportOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()
    establishment = serializers.CharField(source="establishment.name", default="")
    category = serializers.CharField(source="establishment.category", default="")
    region = serializers.CharField(source="establishment.region", default="")
    kind = serializers.CharField(source="case.kind", default="")
    supplier_name = serializers.CharField()


@extend_schema_serializer(component_name="CampaignIndicatorOut")  # sharing has an IndicatorOut
class IndicatorOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    type = serializers.ChoiceField(choices=IndicatorType.choices)
    value = serializers.CharField()
    tlp = serializers.ChoiceField(choices=Tlp.choices)
    confidence = serializers.IntegerField()
    reports = serializers.IntegerField()


class LinkOut(serializers.Serializer):
    report_a = serializers.IntegerField(source="report_a_id")
    report_b = serializers.IntegerField(source="report_b_id")
    reason = serializers.ChoiceField(choices=LinkReason.choices)
    indicator = serializers.CharField(source="indicator.value", default=None, allow_null=True)
    detail = serializers.CharField()
    created_at = serializers.DateTimeField()


class CountOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class CampaignDetail(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=CampaignStatus.choices)
    summary = serializers.CharField()
    merged_into = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    new_links = serializers.BooleanField()
    reports = CampaignReportOut(many=True)
    indicators = IndicatorOut(many=True)
    categories = CountOut(many=True)
    regions = CountOut(many=True)
    links = LinkOut(many=True)


class UpdateInput(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    status = serializers.ChoiceField(
        required=False, choices=[CampaignStatus.PROPOSED, CampaignStatus.CONFIRMED,
                                 CampaignStatus.CLOSED])


class ConfirmInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class MergeInput(serializers.Serializer):
    into = serializers.IntegerField(help_text="The campaign that receives this one's reports.")


class SplitInput(serializers.Serializer):
    reports = serializers.ListField(child=serializers.IntegerField(), min_length=1,
                                    max_length=10000,
                                    help_text="Ids of the reports moved to a new campaign.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                                 help_text="Naming the new campaign confirms it.")


def detail(campaign) -> dict[str, Any]:
    v = campaign_queries.campaign_view(campaign)
    c = v.campaign
    return CampaignDetail({
        "id": c.pk, "name": c.name, "status": c.status, "summary": c.summary,
        "merged_into": c.merged_into_id, "created_at": c.created_at,
        "confirmed_at": c.confirmed_at, "new_links": v.new_links,
        "reports": v.reports, "indicators": v.indicators, "links": v.links,
        "categories": [{"code": a, "label": str(b), "count": n} for a, b, n in v.categories],
        "regions": [{"code": a, "label": str(b), "count": n} for a, b, n in v.regions],
    }).data


# --- views -------------------------------------------------------------------------------------

class StaffView(APIView):
    permission_classes = [IsAuthenticatedAndVerified]

    def check_permissions(self, request):
        super().check_permissions(request)
        if not is_staff(request.user):
            raise exceptions.NotFound()

    def parse(self, serializer_class, data) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class Pagination(LimitOffsetPagination):
    default_limit = 25
    max_limit = 200


class CampaignListView(StaffView):
    @extend_schema(summary="Campaigns (merged ones only when asked), latest links first",
                   operation_id="campaigns_list",
                   parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=[
                       c for c, _l in CampaignStatus.choices])],
                   responses={200: page_of(CampaignRow, name="CampaignPage"), 400: ERROR_400,
                              404: ERROR_404},
                   tags=TAGS)
    def get(self, request):
        status_ = request.query_params.get("status", "")
        if status_ and status_ not in CampaignStatus.values:
            raise exceptions.ValidationError({"status": [_("Unknown status.")]})
        paginator = Pagination()
        page = paginator.paginate_queryset(
            campaign_queries.campaign_list(request.user, status=status_), request, view=self)
        return paginator.get_paginated_response(CampaignRow(page, many=True).data)


class CampaignDetailView(StaffView):
    @extend_schema(summary="A campaign: its reports (timeline), indicators, categories and "
                           "regions hit, and why its reports are linked",
                   responses={200: CampaignDetail, 404: ERROR_404}, tags=TAGS)
    def get(self, request, pk: int):
        return Response(detail(campaigns.get_campaign(request.user, pk)))

    @extend_schema(summary="Name, describe, confirm or close a campaign", request=UpdateInput,
                   responses={200: CampaignDetail, 400: ERROR_400, 404: ERROR_404}, tags=TAGS)
    def patch(self, request, pk: int):
        campaigns.get_campaign(request.user, pk)
        d = self.parse(UpdateInput, request.data)
        camp = campaigns.update_campaign(actor=request.user, campaign_id=pk, **d)
        return Response(detail(camp))


class ConfirmView(StaffView):
    @extend_schema(summary="Confirm a campaign and name it", request=ConfirmInput,
                   responses={200: CampaignDetail, 400: ERROR_400, 404: ERROR_404}, tags=TAGS)
    def post(self, request, pk: int):
        campaigns.get_campaign(request.user, pk)
        d = self.parse(ConfirmInput, request.data)
        camp = campaigns.update_campaign(actor=request.user, campaign_id=pk, name=d["name"],
                                         summary=d.get("summary"),
                                         status=CampaignStatus.CONFIRMED)
        return Response(detail(camp))


class MergeView(StaffView):
    @extend_schema(summary="Merge this campaign into another; answers the receiving campaign",
                   request=MergeInput,
                   responses={200: CampaignDetail, 400: ERROR_400, 404: ERROR_404}, tags=TAGS)
    def post(self, request, pk: int):
        campaigns.get_campaign(request.user, pk)
        d = self.parse(MergeInput, request.data)
        camp = campaigns.merge(actor=request.user, campaign_id=pk, into_id=d["into"])
        return Response(detail(camp))


class SplitView(StaffView):
    @extend_schema(summary="Move some reports of this campaign into a new campaign; answers "
                           "the new campaign",
                   request=SplitInput,
                   responses={201: CampaignDetail, 400: ERROR_400, 404: ERROR_404}, tags=TAGS)
    def post(self, request, pk: int):
        campaigns.get_campaign(request.user, pk)
        d = self.parse(SplitInput, request.data)
        camp = campaigns.split(actor=request.user, campaign_id=pk, report_ids=d["reports"],
                               name=d["name"])
        return Response(detail(camp), status=status.HTTP_201_CREATED)


class AcknowledgeView(StaffView):
    @extend_schema(summary="Mark the campaign's new links as seen (it leaves the queue)",
                   request=None, responses={200: CampaignDetail, 404: ERROR_404}, tags=TAGS)
    def post(self, request, pk: int):
        return Response(detail(campaigns.acknowledge(actor=request.user, campaign_id=pk)))
