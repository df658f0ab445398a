"""One error family for the whole application.

Services raise an `ApplicationError` (or a subclass) with a stable `code`, a human `message` and
optional per-field messages; the API turns it into `{"code", "message", "fields"}` with HTTP 400
(or the subclass's status), forms show the field messages next to their fields.
"""

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
    """A status change that the current state does not allow; names the allowed next states."""

    code = "invalid_transition"

    def __init__(self, *, current: str, requested: str, allowed: list[str]):
        allowed_text = ", ".join(allowed) if allowed else _("none")
        values = {"current": current, "requested": requested, "allowed": allowed_text}
        super().__init__(
            _("Cannot change status from '%(current)s' to '%(requested)s'. Allowed: %(allowed)s.")
            % values,
            fields={"status": [_("Allowed next states: %(allowed)s.") % values]},
        )
        self.current = current
        self.requested = requested
        self.allowed = allowed
