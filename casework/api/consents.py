"""Consents and assents: /api/v1/consents/..."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors, services
from casework.api import serializers as s
from casework.api.base import IsNGOStaff, NewestFirstCursorPagination, validated
from casework.audit import audit_listed
from casework.models import Consent
from core.errors import NotFoundError


class ConsentListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    queryset = Consent.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.ConsentOutputSerializer

    @extend_schema(
        parameters=[OpenApiParameter("child", int)],
        responses=s.ConsentOutputSerializer(many=True),
        tags=["consents"],
        summary="Consents",
        operation_id="consents_list",
    )
    def get(self, request):
        child = request.query_params.get("child")
        child_id = int(child) if child and child.isdigit() else None
        queryset = selectors.consent_list(actor=request.user, child_id=child_id)
        page = self.paginate_queryset(queryset)
        audit_listed(
            actor=request.user,
            object_type="consent",
            rows=page,
            filters={"child": child_id} if child_id else None,
        )
        return self.get_paginated_response(s.ConsentOutputSerializer(page, many=True).data)

    @extend_schema(
        request=s.ConsentCreateInputSerializer,
        responses={201: s.ConsentOutputSerializer},
        tags=["consents"],
        summary="Record consent and assent (registers identified cases)",
    )
    def post(self, request):
        data = validated(s.ConsentCreateInputSerializer, request)
        child_id = data.pop("child")
        if not selectors.child_list(actor=request.user).filter(pk=child_id).exists():
            raise NotFoundError(_("Child not found."))
        consent = services.consent_record(
            actor=request.user, child_id=child_id, data=services.ConsentInput(**data)
        )
        return Response(s.ConsentOutputSerializer(consent).data, status=status.HTTP_201_CREATED)


class ConsentWithdrawView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=s.ConsentWithdrawInputSerializer,
        responses=s.ConsentOutputSerializer,
        tags=["consents"],
        summary="Withdraw a consent",
    )
    def post(self, request, consent_id: int):
        data = validated(s.ConsentWithdrawInputSerializer, request)
        if not selectors.consent_list(actor=request.user).filter(pk=consent_id).exists():
            raise NotFoundError(_("Consent not found."))
        consent = services.consent_withdraw(actor=request.user, consent_id=consent_id, **data)
        return Response(s.ConsentOutputSerializer(consent).data)
