"""The NGO's own referral agreements: /api/v1/agreements/... (read only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.base import IsNGOStaff, NewestFirstCursorPagination
from network import access, selectors
from network.api import serializers as s
from network.models import ReferralAgreement
from network.referrals.services import own_agency


class AgreementListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    queryset = ReferralAgreement.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.AgreementOutputSerializer

    @extend_schema(
        responses=s.AgreementOutputSerializer(many=True),
        tags=["agreements"],
        summary="Referral agreements this NGO is a party to",
        operation_id="agreements_list",
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.agreements_of(own_agency()))
        return self.get_paginated_response(s.AgreementOutputSerializer(page, many=True).data)


class AgreementDetailView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        responses=s.AgreementOutputSerializer, tags=["agreements"], summary="One agreement"
    )
    def get(self, request, agreement_uuid):
        agreement = access.agreement_for_ngo(own_agency(), agreement_uuid)
        return Response(s.AgreementOutputSerializer(agreement).data)
