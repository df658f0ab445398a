"""API authentication (its own module: DRF imports it while rest_framework.views loads)."""

from django.db import connection
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the account's staff profile in the same query on an
    NGO host (every NGO endpoint asks for the role: one query per request less). The public
    schema has no staff profiles."""

    def authenticate_credentials(self, key):
        tokens = self.get_model().objects.select_related("user")
        if connection.schema_name != get_public_schema_name():
            tokens = tokens.select_related("user__staff_profile")
        try:
            token = tokens.get(key=key)
        except self.get_model().DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
