"""Staff accounts and roles inside one NGO."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casework.access import (
    Capability,
    require,
    role_of,
)
from casework.audit import audit_password_changed, audit_record
from casework.models import (
    StaffProfile,
)
from casework.services._common import _full_clean, _invalid
from core.audit import AuditAction
from core.errors import ApplicationError, NotFoundError


@transaction.atomic
def staff_create(
    *,
    actor: User,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
) -> StaffProfile:
    """Create a staff account with a role in this NGO (admins only)."""
    require(actor, Capability.MANAGE_STAFF)
    user_model = get_user_model()
    if role not in StaffProfile.Role.values:
        raise _invalid(
            "role",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(StaffProfile.Role.values)},
        )
    username = (username or "").strip().lower()
    if not username:
        raise _invalid("username", _("This field is required."))
    if user_model.objects.filter(username=username).exists():
        raise _invalid("username", _("A staff account with this username already exists."))
    user = user_model(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ApplicationError(
            _("The password is too weak."), fields={"password": list(error.messages)}
        ) from None
    user.set_password(password)
    user.is_staff = role == StaffProfile.Role.ADMIN
    _full_clean(user)
    user.save()
    profile = StaffProfile.objects.create(user=user, role=role, phone=phone)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=user,
        object_type="staff",
        changed_fields={"username": [None, username], "role": [None, role]},
    )
    return profile


@transaction.atomic
def staff_update(
    *,
    actor: User,
    user_id: int,
    role: str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> StaffProfile:
    """Change a staff member's role, deactivate the account or set a new password (admins
    only). A new password is its own 'password_change' event, never with its value."""
    require(actor, Capability.MANAGE_STAFF)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFoundError(_("Staff member not found."))
    profile, _created = StaffProfile.objects.get_or_create(
        user=user, defaults={"role": role_of(user) or StaffProfile.Role.CASE_WORKER}
    )
    diff: dict[str, list[object]] = {}
    if role is not None and role != profile.role:
        if role not in StaffProfile.Role.values:
            raise _invalid(
                "role",
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(StaffProfile.Role.values)},
            )
        diff["role"] = [profile.role, role]
        profile.role = role
        profile.save(update_fields=["role"])
        user.is_staff = role == StaffProfile.Role.ADMIN
        user.save(update_fields=["is_staff"])
    if is_active is not None and is_active != user.is_active:
        if user.pk == actor.pk and not is_active:
            raise _invalid("is_active", _("You cannot deactivate your own account."))
        diff["is_active"] = [user.is_active, is_active]
        user.is_active = is_active
        user.save(update_fields=["is_active"])
    if diff:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=user,
            object_type="staff",
            changed_fields=diff,
        )
    if password:
        try:
            validate_password(password, user=user)
        except ValidationError as error:
            raise ApplicationError(
                _("The password is too weak."), fields={"password": list(error.messages)}
            ) from None
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_password_changed(actor=actor, user=user, via="staff")
    return profile
