"""Shared pieces of the network API: who may call it, pagination, query-parameter parsing."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import BasePermission

from casework.api.base import NewestFirstCursorPagination
from network.access import coordinated_consortia


class IsCoordinator(BasePermission):
    """Public-host network endpoints: a consortium's coordinators and the platform operator.
    Funders and readers (consortium members without the coordinator role) get a 403."""

    message = gettext_lazy("Only the consortium's coordinators can do this.")

    def has_permission(self, request, view):
        return coordinated_consortia(request.user).exists()


class ByNameCursorPagination(NewestFirstCursorPagination):
    """The directory, alphabetical (ties by id)."""

    ordering = ("name", "id")  # type: ignore[assignment]  # DRF takes a tuple of fields too


def validated_query(serializer_class, request) -> dict:
    """The query string checked by `serializer_class`; invalid input raises a 400."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def flag(value: str | None) -> bool:
    """A boolean query parameter: 1, true or yes (any case) is true, anything else false."""
    return (value or "").strip().lower() in ("1", "true", "yes")


def choices(value: str | None, allowed) -> list[str] | None:
    """A comma-separated query parameter as a list of known values (unknown ones dropped;
    None when nothing is asked, so no filter applies; an impossible filter matches nothing)."""
    if not value:
        return None
    asked = [part.strip() for part in value.split(",") if part.strip()]
    known = [part for part in asked if part in set(allowed)]
    return known or ["-"]


def text(value: str | None, limit: int = 100) -> str | None:
    """A free-text query parameter, trimmed and bounded; None when empty."""
    value = (value or "").strip()[:limit]
    return value or None


CONSORTIUM = OpenApiParameter(
    "consortium",
    str,
    description="Consortium slug (needed only by an account that coordinates several)",
)
