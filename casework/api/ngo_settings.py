"""The NGO's own settings: /api/v1/settings/"""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors, services
from casework.api import serializers as s
from casework.api.base import IsNGOStaff, validated


class SettingsView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(responses=s.NGOSettingsSerializer, tags=["settings"], summary="NGO settings")
    def get(self, request):
        return Response(s.NGOSettingsSerializer(selectors.ngo_settings_get()).data)

    @extend_schema(
        request=s.NGOSettingsSerializer,
        responses=s.NGOSettingsSerializer,
        tags=["settings"],
        summary="Change NGO settings (admins)",
    )
    def patch(self, request):
        data = validated(s.NGOSettingsSerializer, request, partial=True)
        row = services.ngo_settings_update(actor=request.user, **data)
        return Response(s.NGOSettingsSerializer(row).data)
