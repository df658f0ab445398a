"""Referral metadata on the public host, for coordinators: /api/v1/referrals/...

Only the public envelopes' metadata, through `envelopes_for_coordinator` (the payload column is
not even loaded); there is no endpoint on this host that returns a payload field."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.base import NewestFirstCursorPagination
from network import access, selectors
from network.api import serializers as s
from network.api.base import CONSORTIUM, IsCoordinator, choices, flag
from network.models import ReferralEnvelope, ReferralState


class CoordinatorReferralListView(GenericAPIView):
    permission_classes = [IsCoordinator]
    queryset = ReferralEnvelope.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.EnvelopeMetadataSerializer

    @extend_schema(
        parameters=[
            CONSORTIUM,
            OpenApiParameter(
                "state",
                str,
                description="Comma-separated states: " + ", ".join(ReferralState.values),
            ),
            OpenApiParameter("overdue", bool, description="Only referrals past their answer date"),
        ],
        responses=s.EnvelopeMetadataSerializer(many=True),
        tags=["referrals"],
        summary="Referrals between the consortium's agencies (metadata only, never payloads)",
        operation_id="coordinator_referrals_list",
    )
    def get(self, request):
        params = request.query_params
        consortium = access.consortium_for_request(request.user, params.get("consortium"))
        queryset = selectors.envelopes_for_coordinator(
            consortium=consortium,
            overdue=flag(params.get("overdue"), "overdue"),
            states=choices(params.get("state"), ReferralState.values, "state"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.EnvelopeMetadataSerializer(page, many=True).data)


class CoordinatorReferralDetailView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        responses=s.EnvelopeMetadataSerializer,
        tags=["referrals"],
        summary="One referral's metadata (never its payload)",
    )
    def get(self, request, referral_uuid):
        envelope = access.envelope_for_coordinator(request.user, referral_uuid)
        return Response(s.EnvelopeMetadataSerializer(envelope).data)
