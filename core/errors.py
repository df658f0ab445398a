"""One error family for the whole application.

Services raise an `ApplicationError` (or a subclass) with a stable `code`, a human `message` and
optional per-field messages; the API turns it into `{"code", "message", "fields"}` with HTTP 400
(or the subclass's status), forms show the field messages next to their fields.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _


class ApplicationError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotFoundError(ApplicationError):
    status_code = 404
    code = "not_found"


class PermissionDeniedError(ApplicationError):
    status_code = 403
    code = "permission_denied"


class ConflictError(ApplicationError):
    status_code = 409
    code = "conflict"


class InvalidTransitionError(ApplicationError):
    """A status change that the current state does not allow; names the allowed next states.

    `labels` maps each state's code to what a person reads (a TextChoices' `choices`, in the
    request's language), so the message never shows a raw code; `current`, `requested` and
    `allowed` keep the codes for callers."""

    code = "invalid_transition"

    def __init__(
        self,
        *,
        current: str,
        requested: str,
        allowed: list[str],
        labels: Mapping[str, Any] | None = None,
    ):
        def label(code: str) -> str:
            return str((labels or {}).get(code, code))

        allowed_text = ", ".join(label(code) for code in allowed) if allowed else _("none")
        values = {
            "current": label(current),
            "requested": label(requested),
            "allowed": allowed_text,
        }
        super().__init__(
            _("Cannot change status from '%(current)s' to '%(requested)s'. Allowed: %(allowed)s.")
            % values,
            fields={"status": [_("Allowed next states: %(allowed)s.") % values]},
        )
        self.current = current
        self.requested = requested
        self.allowed = allowed
