"""Validation helpers shared by the network services."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from casework import regions
from core.errors import ApplicationError


def invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, fields={field: [message]})


def choices_subset(values: Iterable[str], allowed: Iterable[str], field: str, *, required: bool):
    """`values` as a sorted, duplicate-free list, each one of `allowed`."""
    chosen = sorted(set(values or []))
    allowed_set = set(allowed)
    unknown = [value for value in chosen if value not in allowed_set]
    if unknown:
        raise invalid(field, _("Unknown choice: %(values)s.") % {"values": ", ".join(unknown)})
    if required and not chosen:
        raise invalid(field, _("Choose at least one."))
    return chosen


def province_codes_clean(codes: Iterable[str]) -> list[str]:
    chosen = sorted({(code or "").strip() for code in codes or []} - {""})
    unknown = [code for code in chosen if regions.province(code) is None]
    if unknown:
        raise invalid(
            "province_codes", _("Unknown province code: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    return chosen


def regency_codes_clean(codes: Iterable[str]) -> list[str]:
    cleaned = set()
    for code in codes or []:
        if not (code or "").strip():
            continue
        regency = regions.regency(code)
        if regency is None:
            raise invalid(
                "regency_codes", _("Unknown regency code: %(code)s.") % {"code": str(code)[:20]}
            )
        cleaned.add(regency.code)
    return sorted(cleaned)
