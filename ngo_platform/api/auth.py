"""Token login, the same on every host: the token lives in the schema of the host that issued it."""

from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response


class TokenObtainView(ObtainAuthToken):
    """POST username and password, receive {"token": ...} for this host only."""

    serializer_class = AuthTokenSerializer

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        summary="Obtain an API token for this host",
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        # The same signal a session login raises, so one hook audits every login (NGO hosts).
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response({"token": token.key})
