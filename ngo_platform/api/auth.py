"""Token login, the same on every host: the token lives in the schema of the host that issued it."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser

from ngo_platform.api.parsers import BoundedJSONParser


class TokenObtainView(ObtainAuthToken):
    """POST username and password, receive {"token": ...} for this host only."""

    serializer_class = AuthTokenSerializer
    # ObtainAuthToken's own formats (form, multipart, JSON), with the API's bounded JSON parser.
    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        summary="Obtain an API token for this host",
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
