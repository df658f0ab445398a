"""Shared pieces of the network API: who may call it, pagination, query-parameter parsing."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
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


def _refuse(name: str, message: str):
    """A 400 naming the query parameter (the API's error body, like any invalid input)."""
    raise ValidationError({name: [message]})


TRUE_WORDS = ("1", "true", "yes")
FALSE_WORDS = ("0", "false", "no")


def flag(value: str | None, name: str) -> bool:
    """A boolean query parameter: 1/true/yes or 0/false/no (any case); absent is false;
    anything else is a 400, not silently false."""
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if not word or word in FALSE_WORDS:
        return False
    _refuse(name, _("Must be true or false."))
    return False  # unreachable (for the type checker)


def choices(value: str | None, allowed, name: str) -> list[str] | None:
    """A comma-separated query parameter as a list of known values; None when nothing is
    asked (no filter applies). An unknown value is a 400 naming the allowed ones."""
    if not value:
        return None
    asked = [part.strip() for part in value.split(",") if part.strip()]
    allowed = list(allowed)
    unknown = [part for part in asked if part not in allowed]
    if unknown or not asked:
        _refuse(
            name,
            _("Unknown value %(value)s. Allowed: %(allowed)s.")
            % {"value": ", ".join(unknown) or value, "allowed": ", ".join(allowed)},
        )
    return asked


def one_of(value: str | None, allowed, name: str) -> str | None:
    """A single-choice query parameter; None when absent, a 400 when unknown."""
    asked = choices(value, allowed, name)
    if asked and len(asked) > 1:
        _refuse(name, _("Give one value."))
    return asked[0] if asked else None


REGION_RE = re.compile(r"^\d{2}(\.\d{2})?$")


def region(value: str | None, name: str = "region") -> str | None:
    """A province (33) or regency (33.74) code; None when absent, a 400 when malformed."""
    value = (value or "").strip()
    if not value:
        return None
    if not REGION_RE.match(value):
        _refuse(name, _("A province code (33) or a regency code (33.74)."))
    return value


def text(value: str | None, name: str, limit: int = 100) -> str | None:
    """A free-text query parameter, trimmed; None when empty, a 400 when over `limit`."""
    value = (value or "").strip()
    if len(value) > limit:
        _refuse(name, _("At most %(limit)d characters.") % {"limit": limit})
    return value or None


CONSORTIUM = OpenApiParameter(
    "consortium",
    str,
    description="Consortium slug (needed only by an account that coordinates several)",
)
