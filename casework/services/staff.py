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
    active_admins,
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
    email = (email or "").strip()
    # A password reset goes to every account with the address: one address, one account.
    if email and user_model.objects.filter(email__iexact=email).exists():
        raise _invalid("email", _("Another staff account already uses this e-mail address."))
    if (
        "@" in username
        and username != email.lower()
        and (user_model.objects.filter(email__iexact=username).exists())
    ):
        raise _invalid("username", _("Another staff account already uses this e-mail address."))
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
    confirm: bool = False,
) -> StaffProfile:
    """Change a staff member's role, deactivate the account or set a new password (admins
    only). A new password is its own 'password_change' event, never with its value.

    The NGO always keeps one active admin: demoting or deactivating the last one is refused.
    Changing one's own role needs `confirm` (the actor may lose the right to change it back).
    """
    require(actor, Capability.MANAGE_STAFF)
    user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFoundError(_("Staff member not found."))
    if role is not None and role not in StaffProfile.Role.values:
        raise _invalid(
            "role",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(StaffProfile.Role.values)},
        )
    current_role = role_of(user)  # None for an inactive account
    changes_role = role is not None and role != _stored_role(user)
    deactivates = is_active is False and user.is_active
    if current_role == StaffProfile.Role.ADMIN and (
        (changes_role and role != StaffProfile.Role.ADMIN) or deactivates
    ):
        _ensure_another_admin(user, "is_active" if deactivates else "role")
    if user.pk == actor.pk and changes_role and not confirm:
        raise ApplicationError(
            _("Confirm that you want to change your own role."),
            code="confirmation_required",
            fields={"confirm": [_("You may lose the right to change it back.")]},
        )
    profile, _created = StaffProfile.objects.get_or_create(
        user=user, defaults={"role": _stored_role(user)}
    )
    diff: dict[str, list[object]] = {}
    if changes_role:
        diff["role"] = [profile.role, role]
        profile.role = role  # type: ignore[assignment]  # changes_role: role is not None
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


def _stored_role(user: User) -> str:
    """The role the account has now (a superuser without a profile is an admin)."""
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is not None:
        return profile.role
    return StaffProfile.Role.ADMIN if user.is_superuser else StaffProfile.Role.CASE_WORKER


def _ensure_another_admin(user: User, field_name: str) -> None:
    """Refuse to leave the NGO without an active admin. The admins' rows are locked so that
    two admins demoting each other at once cannot both succeed."""
    others = list(
        active_admins()
        .exclude(pk=user.pk)
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    if not others:
        raise _invalid(
            field_name,
            _("This is the last active admin: make someone else admin first."),
        )


LANGUAGES = ("id", "en")


@transaction.atomic
def own_language_set(*, actor: User, language: str) -> StaffProfile:
    """Store the language the staff member reads the pages in (used at every login, on any
    device); audited as an update of their account."""
    if language not in LANGUAGES:
        raise _invalid("language", _("Choose Bahasa Indonesia or English."))
    profile, _created = StaffProfile.objects.select_for_update().get_or_create(
        user=actor, defaults={"role": _stored_role(actor)}
    )
    if profile.language != language:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=actor,
            object_type="staff",
            changed_fields={"language": [profile.language or None, language]},
        )
        profile.language = language
        profile.save(update_fields=["language"])
    return profile


def own_password_changed(*, actor: User, via: str) -> None:
    """Record that a staff member set their own password (the change form, or a reset link
    from the e-mail); never its value."""
    audit_password_changed(actor=actor, user=actor, via=via)
