"""An NGO's referrals: /api/v1/referrals/outgoing/... (sent) and /api/v1/referrals/incoming/...
(received). Thin views: the selectors and services of network.referrals decide access (staff who
work on cases; a case worker's outgoing list holds only the cases they see), the transitions
and what is audited."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.base import IsNGOStaff, NewestFirstCursorPagination, validated
from network.api import serializers as s
from network.api.base import choices, flag, validated_query
from network.models import ReferralState
from network.referrals import selectors, services
from network.referrals.access import referral_for_actor
from network.referrals.models import Referral

LIST_FILTERS = [
    OpenApiParameter(
        "state", str, description="Comma-separated states: " + ", ".join(ReferralState.values)
    ),
    OpenApiParameter("overdue", bool, description="Only referrals past their answer date"),
]


def _list_filters(request) -> dict:
    params = request.query_params
    return {
        "states": choices(params.get("state"), ReferralState.values, "state"),
        "overdue": flag(params.get("overdue"), "overdue"),
    }


def _detail(request, referral_uuid, direction: str) -> Referral:
    """The referral with its history, if it goes `direction` and the actor may see it (404
    alike for a missing one, another NGO's and one of the other direction)."""
    referral_for_actor(request.user, referral_uuid, direction=direction)
    return selectors.referral_detail(actor=request.user, referral_uuid=referral_uuid)


def _outgoing_response(request, referral: Referral, status_code=status.HTTP_200_OK) -> Response:
    detail = _detail(request, referral.uuid, Referral.Direction.OUTGOING)
    return Response(s.ReferralDetailSerializer(detail).data, status=status_code)


def _incoming_response(request, referral: Referral) -> Response:
    """The incoming referral with its history after a change (not reopened: no payload, no
    audit event for reading it again)."""
    detail = _detail(request, referral.uuid, Referral.Direction.INCOMING)
    return Response(s.ReferralDetailSerializer(detail).data)


# --- Sent --------------------------------------------------------------------------------------


class OutgoingListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    queryset = Referral.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.ReferralOutputSerializer

    @extend_schema(
        parameters=LIST_FILTERS,
        responses=s.ReferralOutputSerializer(many=True),
        tags=["referrals"],
        summary="Referrals sent from the cases you can see",
        operation_id="referrals_outgoing_list",
    )
    def get(self, request):
        queryset = selectors.referrals_outgoing(actor=request.user, **_list_filters(request))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.ReferralOutputSerializer(page, many=True).data)

    @extend_schema(
        request=s.ReferralSendInputSerializer,
        responses={201: s.ReferralDetailSerializer},
        tags=["referrals"],
        summary="Refer a case's child to an agency (under an agreement in force, with consent)",
    )
    def post(self, request):
        data = validated(s.ReferralSendInputSerializer, request)
        referral = services.referral_send(
            actor=request.user,
            case_id=data["case_id"],
            to_agency_uuid=data["to_agency"],
            service_type=data["service_type"],
            reason=data["reason"],
            urgency=data["urgency"],
        )
        return _outgoing_response(request, referral, status.HTTP_201_CREATED)


class OutgoingOptionsView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        parameters=[s.ReferOptionsQuerySerializer],
        responses=s.ReferOptionsSerializer,
        tags=["referrals"],
        summary="Where a case's child may be referred and what each agency would receive",
    )
    def get(self, request):
        data = validated_query(s.ReferOptionsQuerySerializer, request)
        options = selectors.refer_options(
            actor=request.user, case_id=data["case_id"], service_type=data["service_type"]
        )
        return Response(s.ReferOptionsSerializer(options).data)


class OutgoingDetailView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        responses=s.ReferralDetailSerializer,
        tags=["referrals"],
        summary="A referral you sent and its history (its letter shows what it shared)",
    )
    def get(self, request, referral_uuid):
        detail = _detail(request, referral_uuid, Referral.Direction.OUTGOING)
        return Response(s.ReferralDetailSerializer(detail).data)


class OutgoingLetterView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        responses=s.ReferralLetterSerializer,
        tags=["referrals"],
        summary="The referral letter, with the agreed fields as sent (audited)",
    )
    def get(self, request, referral_uuid):
        letter = selectors.referral_letter(actor=request.user, referral_uuid=referral_uuid)
        return Response(s.ReferralLetterSerializer(letter).data)


class OutgoingWithdrawView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReferralWithdrawInputSerializer,
        responses=s.ReferralDetailSerializer,
        tags=["referrals"],
        summary="Withdraw a referral not yet accepted (its payload is purged)",
    )
    def post(self, request, referral_uuid):
        data = validated(s.ReferralWithdrawInputSerializer, request)
        referral = services.referral_withdraw(
            actor=request.user, referral_uuid=referral_uuid, reason=data["reason"]
        )
        return _outgoing_response(request, referral)


class OutgoingResponseView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReferralResponseInputSerializer,
        responses=s.ReferralDetailSerializer,
        tags=["referrals"],
        summary="Record an outside agency's answer (agencies that are not partner NGOs)",
    )
    def post(self, request, referral_uuid):
        data = validated(s.ReferralResponseInputSerializer, request)
        referral = services.referral_record_response(
            actor=request.user, referral_uuid=referral_uuid, state=data["state"], note=data["note"]
        )
        return _outgoing_response(request, referral)


# --- Received ----------------------------------------------------------------------------------


class IncomingListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    queryset = Referral.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.ReferralOutputSerializer

    @extend_schema(
        parameters=LIST_FILTERS,
        responses=s.ReferralOutputSerializer(many=True),
        tags=["referrals"],
        summary="Referrals received by this NGO (metadata; open one to read what it shares)",
        operation_id="referrals_incoming_list",
    )
    def get(self, request):
        queryset = selectors.referrals_incoming(actor=request.user, **_list_filters(request))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.ReferralOutputSerializer(page, many=True).data)


class IncomingDetailView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        responses=s.IncomingReferralOpenedSerializer,
        tags=["referrals"],
        summary="Open a received referral: the shared fields, decrypted (audited)",
    )
    def get(self, request, referral_uuid):
        # Only an incoming referral opens here (the sender's copy prints as its letter).
        referral_for_actor(request.user, referral_uuid, direction=Referral.Direction.INCOMING)
        opened = services.referral_open(actor=request.user, referral_uuid=referral_uuid)
        referral = opened.referral
        referral.opened_fields = opened.fields
        return Response(s.IncomingReferralOpenedSerializer(referral).data)


class IncomingAcceptView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReferralAcceptInputSerializer,
        responses=s.ReferralDetailSerializer,
        tags=["referrals"],
        summary="Accept: a case is opened in this NGO from the shared fields",
    )
    def post(self, request, referral_uuid):
        data = validated(s.ReferralAcceptInputSerializer, request)
        referral = services.referral_accept(
            actor=request.user, referral_uuid=referral_uuid, assign_to_id=data["assign_to_id"]
        )
        return _incoming_response(request, referral)


class IncomingDeclineView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReferralDeclineInputSerializer,
        responses=s.ReferralDetailSerializer,
        tags=["referrals"],
        summary="Decline, with a reason the referring NGO reads",
    )
    def post(self, request, referral_uuid):
        data = validated(s.ReferralDeclineInputSerializer, request)
        referral = services.referral_decline(
            actor=request.user, referral_uuid=referral_uuid, reason=data["reason"]
        )
        return _incoming_response(request, referral)


class IncomingProgressView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReferralProgressInputSerializer,
        responses=s.ReferralDetailSerializer,
        tags=["referrals"],
        summary="Report that the service has started",
    )
    def post(self, request, referral_uuid):
        data = validated(s.ReferralProgressInputSerializer, request)
        referral = services.referral_progress(
            actor=request.user, referral_uuid=referral_uuid, note=data["note"]
        )
        return _incoming_response(request, referral)


class IncomingCompleteView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ReferralCompleteInputSerializer,
        responses=s.ReferralDetailSerializer,
        tags=["referrals"],
        summary="Report the service done, with an outcome note for the referring NGO",
    )
    def post(self, request, referral_uuid):
        data = validated(s.ReferralCompleteInputSerializer, request)
        referral = services.referral_complete(
            actor=request.user, referral_uuid=referral_uuid, outcome_note=data["outcome_note"]
        )
        return _incoming_response(request, referral)
