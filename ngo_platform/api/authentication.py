"""API authentication (its own module: DRF imports it while rest_framework.views loads)."""

from django.db import connection
from django_tenants.utils import get_public_schema_name
from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the account's staff profile in the same query on an
    NGO host (every NGO endpoint asks for the role: one query per request less). The public
    schema has no staff profiles. A token that does not authenticate goes through DRF's own
    method, so refusals and their messages are DRF's."""

    def authenticate_credentials(self, key):
        if connection.schema_name == get_public_schema_name():
            return super().authenticate_credentials(key)
        model = self.get_model()
        try:
            token = model.objects.select_related("user", "user__staff_profile").get(key=key)
        except model.DoesNotExist:
            return super().authenticate_credentials(key)  # raises AuthenticationFailed
        if not token.user.is_active:
            return super().authenticate_credentials(key)  # raises AuthenticationFailed
        return (token.user, token)
