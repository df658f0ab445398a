"""The audit trail (admins): /api/v1/audit/"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework.generics import GenericAPIView

from casework import selectors
from casework.api import serializers as s
from casework.api.base import IsNGOStaff, NewestFirstCursorPagination
from casework.models import AuditEvent
from core.audit import AuditAction


class AuditQuerySerializer(drf.Serializer):
    actor = drf.CharField(required=False)
    action = drf.ChoiceField(choices=AuditAction.choices, required=False)
    object_type = drf.CharField(required=False)
    case = drf.IntegerField(required=False)
    since = drf.DateField(required=False)
    until = drf.DateField(required=False)


class AuditListView(GenericAPIView):
    permission_classes = [IsNGOStaff]
    queryset = AuditEvent.objects.none()  # names the model for the OpenAPI document only
    pagination_class = NewestFirstCursorPagination
    serializer_class = s.AuditEventSerializer

    @extend_schema(
        parameters=[AuditQuerySerializer],
        responses=s.AuditEventSerializer(many=True),
        tags=["audit"],
        summary="Audit events (admins)",
        operation_id="audit_list",
    )
    def get(self, request):
        query = AuditQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        queryset = selectors.audit_events(
            actor=request.user,
            actor_username=params.get("actor"),
            action=params.get("action"),
            object_type=params.get("object_type"),
            case_id=params.get("case"),
            since=params.get("since"),
            until=params.get("until"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.AuditEventSerializer(page, many=True).data)
