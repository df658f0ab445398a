"""The agency directory on the public host, for coordinators: /api/v1/directory/..."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.base import validated
from network import access, selectors, services
from network.api import serializers as s
from network.api.base import (
    CONSORTIUM,
    ByNameCursorPagination,
    IsCoordinator,
    choices,
    flag,
    one_of,
    region,
    text,
)
from network.api.directory import DIRECTORY_FILTERS
from network.models import Agency, ServiceType


def _agency_input(data: dict) -> services.AgencyInput:
    fields = services.AgencyInput.__dataclass_fields__
    return services.AgencyInput(**{key: value for key, value in data.items() if key in fields})


def _agency_response(request, agency: Agency, status_code=status.HTTP_200_OK) -> Response:
    agency = access.agency_coordinated(request.user, agency.uuid)
    return Response(s.CoordinatorAgencySerializer(agency).data, status=status_code)


class CoordinatorDirectoryListView(GenericAPIView):
    permission_classes = [IsCoordinator]
    queryset = Agency.objects.none()  # names the model for the OpenAPI document only
    pagination_class = ByNameCursorPagination
    serializer_class = s.CoordinatorAgencySerializer

    @extend_schema(
        parameters=[
            CONSORTIUM,
            *DIRECTORY_FILTERS,
            OpenApiParameter(
                "status",
                str,
                description="Comma-separated: proposed, approved, rejected (default approved)",
            ),
            OpenApiParameter("include_inactive", bool, description="Also deactivated agencies"),
        ],
        responses=s.CoordinatorAgencySerializer(many=True),
        tags=["directory"],
        summary="The consortium's directory; status=proposed lists proposals to review",
        operation_id="coordinator_directory_list",
    )
    def get(self, request):
        params = request.query_params
        consortium = access.consortium_for_request(request.user, params.get("consortium"))
        statuses = choices(params.get("status"), Agency.Status.values, "status")
        queryset = selectors.agency_list(
            consortium=consortium,
            service_type=one_of(params.get("service_type"), ServiceType.values, "service_type"),
            region=region(params.get("region")),
            search=text(params.get("search"), "search"),
            include_inactive=flag(params.get("include_inactive"), "include_inactive"),
            statuses=tuple(statuses or [Agency.Status.APPROVED]),
        ).select_related("consortium", "proposed_by")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.CoordinatorAgencySerializer(page, many=True).data)

    @extend_schema(
        request=s.CoordinatorAgencyCreateSerializer,
        responses={201: s.CoordinatorAgencySerializer},
        tags=["directory"],
        summary="Add an outside agency (approved at once)",
    )
    def post(self, request):
        data = validated(s.CoordinatorAgencyCreateSerializer, request)
        consortium = access.consortium_for_request(request.user, data["consortium"])
        agency = services.agency_create(
            actor=request.user, consortium=consortium, data=_agency_input(data)
        )
        return _agency_response(request, agency, status.HTTP_201_CREATED)


class CoordinatorDirectoryDetailView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        responses=s.CoordinatorAgencySerializer, tags=["directory"], summary="One agency"
    )
    def get(self, request, agency_uuid):
        agency = access.agency_coordinated(request.user, agency_uuid)
        return Response(s.CoordinatorAgencySerializer(agency).data)

    @extend_schema(
        request=s.CoordinatorAgencyUpdateSerializer,
        responses=s.CoordinatorAgencySerializer,
        tags=["directory"],
        summary="Correct an agency (the whole entry) or (de)activate it",
    )
    def put(self, request, agency_uuid):
        data = validated(s.CoordinatorAgencyUpdateSerializer, request)
        agency = access.agency_coordinated(request.user, agency_uuid)
        agency = services.agency_update(
            actor=request.user,
            agency_uuid=agency.uuid,
            data=_agency_input(data),
            is_active=data["is_active"],
        )
        return _agency_response(request, agency)


class CoordinatorDirectoryReviewView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        request=s.AgencyReviewInputSerializer,
        responses=s.CoordinatorAgencySerializer,
        tags=["directory"],
        summary="Approve or reject an agency proposed by NGO staff",
    )
    def post(self, request, agency_uuid):
        data = validated(s.AgencyReviewInputSerializer, request)
        agency = access.agency_coordinated(request.user, agency_uuid)
        agency = services.agency_review(
            actor=request.user,
            agency_uuid=agency.uuid,
            approve=data["approve"],
            comment=data["comment"],
        )
        return _agency_response(request, agency)
