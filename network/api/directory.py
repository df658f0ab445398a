"""The agency directory on an NGO's host: /api/v1/directory/..."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.base import IsNGOStaff, validated
from network import access, selectors, services
from network.api import serializers as s
from network.api.base import ByNameCursorPagination, one_of, region, text
from network.models import Agency, ServiceType
from network.referrals.services import own_agency

DIRECTORY_FILTERS = [
    OpenApiParameter("service_type", str, enum=ServiceType.values, description="Service offered"),
    OpenApiParameter("region", str, description="Province (33) or regency (33.74) code served"),
    OpenApiParameter("search", str, description="Part of the agency's name"),
]


class DirectoryListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    queryset = Agency.objects.none()  # names the model for the OpenAPI document only
    pagination_class = ByNameCursorPagination
    serializer_class = s.AgencyOutputSerializer

    @extend_schema(
        parameters=DIRECTORY_FILTERS,
        responses=s.AgencyOutputSerializer(many=True),
        tags=["directory"],
        summary="The consortium's agency directory (approved, active agencies)",
        operation_id="directory_list",
    )
    def get(self, request):
        params = request.query_params
        queryset = selectors.agency_list(
            consortium=own_agency().consortium,
            service_type=one_of(params.get("service_type"), ServiceType.values, "service_type"),
            region=region(params.get("region")),
            search=text(params.get("search"), "search"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.AgencyOutputSerializer(page, many=True).data)

    @extend_schema(
        request=s.AgencyInputSerializer,
        responses={201: s.AgencyOutputSerializer},
        tags=["directory"],
        summary="Propose an outside agency (a coordinator approves it)",
    )
    def post(self, request):
        access.require_referring_staff(request.user)
        data = validated(s.AgencyInputSerializer, request)
        own = own_agency()
        agency = services.agency_propose(
            consortium=own.consortium,
            proposer=own,
            proposer_name=request.user.get_username(),
            data=services.AgencyInput(**data),
        )
        return Response(s.AgencyOutputSerializer(agency).data, status=status.HTTP_201_CREATED)


class DirectoryDetailView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        responses=s.AgencyOutputSerializer,
        tags=["directory"],
        summary="One agency of the directory",
    )
    def get(self, request, agency_uuid):
        agency = access.agency_for_ngo(own_agency(), agency_uuid)
        return Response(s.AgencyOutputSerializer(agency).data)
