"""Helpers shared by the casework services: validation errors and the worker check."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from casework.access import Capability, can, case_holders, role_of
from casework.models import Case
from core.errors import ApplicationError, ConflictError, PermissionDeniedError

NIK_RE = re.compile(r"[0-9]{16}")  # ASCII digits only: \d also matches "３" or "٣"


def _case_worker_or_error(
    user_id: int | None, field_name: str, *, actor: User | None = None, case: Case | None = None
) -> User:
    """An account from `case_holders()` (supervisor or case worker, active).

    With `actor`, giving the work to someone else needs the assign capability: without it only
    the actor themselves or the case's own worker may be named.
    """
    if (
        actor is not None
        and user_id
        and user_id != actor.pk
        and not (case is not None and user_id == case.assigned_worker_id)
        and not can(actor, Capability.ASSIGN_CASES)
    ):
        message = _("Only a supervisor can give this work to another worker.")
        raise PermissionDeniedError(message, fields={field_name: [message]})
    worker = case_holders().filter(pk=user_id).first() if user_id else None
    if worker is None:
        account = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        if account is not None and role_of(account) is not None:
            # An active admin or M&E officer of this NGO: they exist but cannot hold cases.
            message = _("Only supervisors and case workers can hold cases.")
            raise ApplicationError(
                message, code="cannot_hold_cases", fields={field_name: [message]}
            )
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


def record_version(*parts: Any) -> str:
    """A short fingerprint of records as they are now (their field values): a form carries it
    from the moment it was opened, and a save whose fingerprint no longer matches would
    overwrite someone else's change made in between."""
    encoded = json.dumps(parts, default=str, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:20]


def version_check(expected: str | None, current: str) -> None:
    """ConflictError (409, a message for the whole form) when a form opened on an earlier
    version of the record is saved: nothing is written, and the person sees why."""
    if expected and expected != current:
        raise ConflictError(
            _(
                "Someone else saved changes to this record after you opened it. Nothing was "
                "saved: open it again to see the current details, then make your change."
            ),
            code="edit_conflict",
        )
