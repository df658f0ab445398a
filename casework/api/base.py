"""Shared pieces of the NGO API: staff-only permission, pagination, actor helpers."""

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


CASE_ID = OpenApiParameter("case_id", int, OpenApiParameter.PATH, description="Case id")
