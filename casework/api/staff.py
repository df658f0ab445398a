"""Staff accounts and roles (admins): /api/v1/staff/..."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors, services
from casework.api import serializers as s
from casework.api.base import IsNGOStaff, validated


class StaffListView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(responses=s.StaffOutputSerializer(many=True), tags=["staff"], summary="Staff")
    def get(self, request):
        profiles = selectors.staff_profiles(actor=request.user)
        return Response(s.StaffOutputSerializer(profiles, many=True).data)

    @extend_schema(
        request=s.StaffInputSerializer,
        responses={201: s.StaffOutputSerializer},
        tags=["staff"],
        summary="Create a staff account",
    )
    def post(self, request):
        data = validated(s.StaffInputSerializer, request)
        profile = services.staff_create(actor=request.user, **data)
        return Response(s.StaffOutputSerializer(profile).data, status=status.HTTP_201_CREATED)


class StaffDetailView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.StaffUpdateInputSerializer,
        responses=s.StaffOutputSerializer,
        tags=["staff"],
        summary="Change role, deactivate or set a new password",
    )
    def patch(self, request, user_id: int):
        data = validated(s.StaffUpdateInputSerializer, request, partial=True)
        profile = services.staff_update(actor=request.user, user_id=user_id, **data)
        return Response(s.StaffOutputSerializer(profile).data)
