"""Your notifications: /api/v1/notifications/..."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import selectors, services
from casework.api import serializers as s
from casework.api.base import IsNGOStaff


class NotificationListView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        responses=s.NotificationSerializer(many=True),
        tags=["notifications"],
        summary="Your unread notifications",
    )
    def get(self, request):
        rows = selectors.dashboard(actor=request.user)["notifications"][:100]
        return Response(s.NotificationSerializer(rows, many=True).data)


class NotificationReadView(APIView):
    permission_classes = [IsNGOStaff]

    @extend_schema(
        request=None,
        responses=s.NotificationSerializer,
        tags=["notifications"],
        summary="Mark a notification read",
    )
    def post(self, request, notification_id: int):
        row = services.notification_mark_read(actor=request.user, notification_id=notification_id)
        return Response(s.NotificationSerializer(row).data)
