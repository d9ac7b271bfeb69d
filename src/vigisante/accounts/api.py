"""JSON API of accounts: who am I."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from vigisante.accounts.models import User
from vigisante.establishments.models import Establishment


class MemberEstablishmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Establishment
        fields = ["id", "finess", "name"]


class MeSerializer(serializers.ModelSerializer):
    establishments = MemberEstablishmentSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["email", "full_name", "role", "establishments"]


class MeView(APIView):
    """The authenticated user: e-mail, name, role and the establishments they belong to."""

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve", tags=["accounts"])
    def get(self, request):
        return Response(MeSerializer(request.user).data)
