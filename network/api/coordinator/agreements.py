"""Referral agreements on the public host, for coordinators: /api/v1/agreements/..."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.base import NewestFirstCursorPagination, validated
from network import access, selectors, services
from network.api import serializers as s
from network.api.base import CONSORTIUM, IsCoordinator, choices
from network.models import ReferralAgreement


def _agreement_response(
    request, agreement: ReferralAgreement, status_code=status.HTTP_200_OK
) -> Response:
    agreement = access.agreement_coordinated(request.user, agreement.uuid)
    return Response(s.CoordinatorAgreementSerializer(agreement).data, status=status_code)


class CoordinatorAgreementListView(GenericAPIView):
    permission_classes = [IsCoordinator]
    queryset = ReferralAgreement.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.CoordinatorAgreementSerializer

    @extend_schema(
        parameters=[
            CONSORTIUM,
            OpenApiParameter(
                "status", str, description="Comma-separated: draft, active, expired, revoked"
            ),
        ],
        responses=s.CoordinatorAgreementSerializer(many=True),
        tags=["agreements"],
        summary="The consortium's referral agreements",
        operation_id="coordinator_agreements_list",
    )
    def get(self, request):
        params = request.query_params
        consortium = access.consortium_for_request(request.user, params.get("consortium"))
        queryset = selectors.agreements_in(
            consortium=consortium,
            statuses=choices(params.get("status"), ReferralAgreement.Status.values, "status"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.CoordinatorAgreementSerializer(page, many=True).data)

    @extend_schema(
        request=s.AgreementCreateInputSerializer,
        responses={201: s.CoordinatorAgreementSerializer},
        tags=["agreements"],
        summary="Draft an agreement between two agencies (activate it with the signed MoU)",
    )
    def post(self, request):
        data = validated(s.AgreementCreateInputSerializer, request)
        consortium = access.consortium_for_request(request.user, data.pop("consortium"))
        agreement = services.agreement_create(
            actor=request.user,
            consortium=consortium,
            first_agency_uuid=data.pop("first_agency"),
            second_agency_uuid=data.pop("second_agency"),
            **data,
        )
        return _agreement_response(request, agreement, status.HTTP_201_CREATED)


class CoordinatorAgreementDetailView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        responses=s.CoordinatorAgreementSerializer, tags=["agreements"], summary="One agreement"
    )
    def get(self, request, agreement_uuid):
        agreement = access.agreement_coordinated(request.user, agreement_uuid)
        return Response(s.CoordinatorAgreementSerializer(agreement).data)


class CoordinatorAgreementActivateView(APIView):
    permission_classes = [IsCoordinator]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": s.AgreementActivateInputSerializer},
        responses=s.CoordinatorAgreementSerializer,
        tags=["agreements"],
        summary="Put a draft into force with the signed MoU (PDF upload)",
    )
    def post(self, request, agreement_uuid):
        data = validated(s.AgreementActivateInputSerializer, request)
        agreement = access.agreement_coordinated(request.user, agreement_uuid)
        agreement = services.agreement_activate(
            actor=request.user, agreement_uuid=agreement.uuid, mou=data["mou"]
        )
        return _agreement_response(request, agreement)


class CoordinatorAgreementRevokeView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        request=s.AgreementRevokeInputSerializer,
        responses=s.CoordinatorAgreementSerializer,
        tags=["agreements"],
        summary="End an agreement early, with a reason",
    )
    def post(self, request, agreement_uuid):
        data = validated(s.AgreementRevokeInputSerializer, request)
        agreement = access.agreement_coordinated(request.user, agreement_uuid)
        agreement = services.agreement_revoke(
            actor=request.user, agreement_uuid=agreement.uuid, reason=data["reason"]
        )
        return _agreement_response(request, agreement)
