"""Shared pieces of the NGO API: staff-only permission, pagination, input validation."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission

from casework.access import role_of


class IsNGOStaff(BasePermission):
    """Only accounts with a role in this NGO use its API."""

    message = gettext_lazy("Only this NGO's staff can use this API.")

    def has_permission(self, request, view):
        return role_of(request.user) is not None


PAGE_SIZE_RE = re.compile(r"^[0-9]{1,4}$")


class NewestFirstCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request) -> int:
        """`page_size` from 1 to `max_page_size`; absent or empty gives the default, anything
        else is a 400 (DRF alone falls back to the default without a word)."""
        raw = request.query_params.get(self.page_size_query_param, "").strip()
        if not raw:
            return self.page_size
        if not PAGE_SIZE_RE.match(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """The page size's bounds in the OpenAPI document, as `get_page_size` enforces them."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

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
