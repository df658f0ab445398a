"""Who am I on this host: the account and the space (public or an NGO) it belongs to."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class MeView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "space": serializers.CharField(),
                "is_admin": serializers.BooleanField(),
            },
        ),
        tags=["auth"],
        summary="The authenticated account on this host",
    )
    def get(self, request):
        tenant = request.tenant
        return Response(
            {
                "username": request.user.get_username(),
                "space": getattr(tenant, "slug", None) or "public",
                "is_admin": request.user.is_superuser,
            }
        )
