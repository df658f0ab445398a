"""Shared pieces of the NGO API: staff-only permission, pagination, input validation."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission

from casework.access import role_of


class IsNGOStaff(BasePermission):
    """Only accounts with a role in this NGO use its API."""

    message = gettext_lazy("Only this NGO's staff can use this API.")

    def has_permission(self, request, view):
        return role_of(request.user) is not None


class NewestFirstCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_paginated_response_schema(self, schema: dict) -> dict:
        """The envelope as `get_paginated_response` writes it: all three keys, always."""
        envelope = super().get_paginated_response_schema(schema)
        envelope["required"] = ["next", "previous", "results"]
        return envelope


CASE_ID = OpenApiParameter("case_id", int, OpenApiParameter.PATH, description="Case id")


def validated(serializer_class, request, *, partial: bool = False) -> dict:
    """The request body checked by `serializer_class`; invalid input raises a 400."""
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
