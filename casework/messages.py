"""Stored messages (notifications) as a code with parameters, rendered in the reader's language
when shown, never stored as text in the writer's language.

A catalog maps codes to renderers (`params -> str`, called with the reader's language active).
Settings list the catalogs (`NOTIFICATION_MESSAGE_CATALOGS`, dotted paths resolved with
`import_string`), so another app registers its codes without casework importing it. A row
written before codes existed keeps its text in `Notification.message`, shown as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

Renderer = Callable[[Mapping[str, Any]], str]

FOLLOWUP_OVERDUE = "followup_overdue"


def format_day(value: str) -> str:
    """An ISO date parameter as the reader's short date (dd/mm/yyyy in both languages)."""
    return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")


def _followup_overdue(params: Mapping[str, Any]) -> str:
    from casework.models import FollowUp

    kind = FollowUp.Kind(params["kind"]).label
    return _("Overdue %(kind)s for case %(reference)s (due %(due_on)s)") % {
        "kind": str(kind).lower(),
        "reference": params["reference"],
        "due_on": format_day(params["due_on"]),
    }


ASSESSMENT_RETURNED = "assessment_returned"
PLAN_RETURNED = "plan_returned"


def _assessment_returned(params: Mapping[str, Any]) -> str:
    return _("Assessment for case %(reference)s was returned: see the comment.") % {
        "reference": params["reference"]
    }


def _plan_returned(params: Mapping[str, Any]) -> str:
    return _("The plan for case %(reference)s was returned: see the comment.") % {
        "reference": params["reference"]
    }


CASE_ASSIGNED = "case_assigned"
CASE_SHARED = "case_shared"


def _case_assigned(params: Mapping[str, Any]) -> str:
    return _("Case %(reference)s is now yours.") % {"reference": params["reference"]}


def _case_shared(params: Mapping[str, Any]) -> str:
    return _("Case %(reference)s was shared with you.") % {"reference": params["reference"]}


CATALOG: dict[str, Renderer] = {
    FOLLOWUP_OVERDUE: _followup_overdue,
    ASSESSMENT_RETURNED: _assessment_returned,
    PLAN_RETURNED: _plan_returned,
    CASE_ASSIGNED: _case_assigned,
    CASE_SHARED: _case_shared,
}


@cache
def catalog() -> dict[str, Renderer]:
    """Every registered code with its renderer (the settings' catalogs, merged once)."""
    merged: dict[str, Renderer] = {}
    for path in settings.NOTIFICATION_MESSAGE_CATALOGS:
        for code, renderer in import_string(path).items():
            if code in merged and merged[code] is not renderer:
                raise ValueError(f"notification code {code!r} registered twice ({path})")
            merged[code] = renderer
    return merged


def render(code: str, params: Mapping[str, Any], *, fallback: str = "") -> str:
    """The message in the active language; an unknown code or broken parameters show the
    stored fallback text (rows written before codes existed) rather than fail the page."""
    renderer = catalog().get(code) if code else None
    if renderer is None:
        return fallback or code
    try:
        return renderer(params)
    except (KeyError, TypeError, ValueError):
        logger.warning("notification %s: parameters do not fit: %r", code, params)
        return fallback or code
