"""Helpers shared by the casework services: validation errors and the worker check."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from casework.access import (
    Capability,
    can,
)
from core.errors import ApplicationError

NIK_RE = re.compile(r"[0-9]{16}")  # ASCII digits only: \d also matches "３" or "٣"


def _case_worker_or_error(user_id: int | None, field_name: str) -> User:
    """An active account that can work on cases (admin, supervisor or case worker)."""
    worker = (
        get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id else None
    )
    if worker is None or not can(worker, Capability.EDIT_CASES):
        raise ApplicationError(
            _("Unknown worker."), fields={field_name: [_("Choose an active staff member.")]}
        )
    return worker


def _invalid(field_name: str, message: str) -> ApplicationError:
    return ApplicationError(message, fields={field_name: [message]})


def _full_clean(instance: models.Model, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise ApplicationError(_("Some fields are not valid."), fields=error.message_dict) from None
