"""Staff accounts and roles (admins): /api/v1/staff/..."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import services
from casework.access import Capability, require, role_of
from casework.api import serializers as s
from casework.api.base import IsNGOStaff, validated
from casework.models import StaffProfile


def _staff_profiles():
    users = get_user_model().objects.select_related("staff_profile").order_by("username")
    profiles = []
    for user in users:
        profile = getattr(user, "staff_profile", None) or StaffProfile(
            user=user, role=role_of(user) or "", phone=""
        )
        profiles.append(profile)
    return profiles


class StaffListView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(responses=s.StaffOutputSerializer(many=True), tags=["staff"], summary="Staff")
    def get(self, request):
        require(request.user, Capability.MANAGE_STAFF)
        return Response(s.StaffOutputSerializer(_staff_profiles(), many=True).data)

    @extend_schema(
        request=s.StaffInputSerializer,
        responses={201: s.StaffOutputSerializer},
        tags=["staff"],
        summary="Create a staff account",
    )
    def post(self, request):
        require(request.user, Capability.MANAGE_STAFF)
        data = validated(s.StaffInputSerializer, request)
        profile = services.staff_create(actor=request.user, **data)
        return Response(s.StaffOutputSerializer(profile).data, status=status.HTTP_201_CREATED)


class StaffDetailView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.StaffUpdateInputSerializer,
        responses=s.StaffOutputSerializer,
        tags=["staff"],
        summary="Change role or deactivate",
    )
    def patch(self, request, user_id: int):
        require(request.user, Capability.MANAGE_STAFF)
        data = validated(s.StaffUpdateInputSerializer, request, partial=True)
        profile = services.staff_update(actor=request.user, user_id=user_id, **data)
        return Response(s.StaffOutputSerializer(profile).data)
