"""The one place that decides who may see and do what inside an NGO.

Roles map to capabilities here; views, serializers and services ask this module. Case lookups
answer "not found" alike for a missing case and a case the actor may not see.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from casework.models import Case, StaffProfile
from core.errors import NotFoundError, PermissionDeniedError

Role = StaffProfile.Role


class Capability(StrEnum):
    VIEW_ALL_CASES = "view_all_cases"
    VIEW_IDENTITY = "view_identity"  # names, NIK, photos, addresses
    EDIT_CASES = "edit_cases"  # register, assess, plan, record services, follow-ups, notes
    ASSIGN_CASES = "assign_cases"
    APPROVE = "approve"  # assessments, plans, closures
    EXPORT = "export"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT = "view_audit"
    # Be the worker responsible for a case, a follow-up or a planned service. Not the admin
    # (an account that manages the NGO) and not the M&E officer (reads figures, never visits).
    HOLD_CASES = "hold_cases"


POLICY: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability) - {Capability.HOLD_CASES},
    Role.SUPERVISOR: frozenset(
        {
            Capability.VIEW_ALL_CASES,
            Capability.VIEW_IDENTITY,
            Capability.EDIT_CASES,
            Capability.ASSIGN_CASES,
            Capability.APPROVE,
            Capability.EXPORT,
            Capability.HOLD_CASES,
        }
    ),
    Role.CASE_WORKER: frozenset(
        {Capability.VIEW_IDENTITY, Capability.EDIT_CASES, Capability.HOLD_CASES}
    ),
    Role.ME_OFFICER: frozenset({Capability.VIEW_ALL_CASES, Capability.EXPORT}),
}


def role_of(user: User | AnonymousUser | None) -> str | None:
    """The user's role in this NGO; the schema's superuser (first admin) is an admin."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    profile: StaffProfile | None = getattr(user, "staff_profile", None)
    if profile is not None:
        return profile.role
    return Role.ADMIN if user.is_superuser else None


def can(user: User | AnonymousUser | None, capability: Capability) -> bool:
    """Does `user` hold `capability` in this NGO?"""
    role = role_of(user)
    return role is not None and capability in POLICY[role]


def capabilities_of(user: User | AnonymousUser | None) -> dict[str, bool]:
    """Every capability by name, true when `user` holds it (what the pages' navigation offers)."""
    return {capability.value: can(user, capability) for capability in Capability}


def roles_holding(capability: Capability) -> list[str]:
    """The roles whose policy includes `capability`."""
    return [role for role, capabilities in POLICY.items() if capability in capabilities]


def case_holders() -> QuerySet[User]:
    """Active accounts that can hold cases: the one list every worker picker offers and every
    assignment (case, follow-up, planned service) is checked against."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, staff_profile__role__in=roles_holding(Capability.HOLD_CASES)
        )
        .order_by("first_name", "last_name", "username")
    )


def active_admins() -> QuerySet[User]:
    """Active accounts with the admin role (the schema's superuser counts when it has no
    staff profile, as in `role_of`)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(staff_profile__role=Role.ADMIN) | Q(staff_profile__isnull=True, is_superuser=True)
        )
    )


def require(user: User | AnonymousUser | None, capability: Capability) -> None:
    """Raise PermissionDeniedError unless `user` holds `capability`."""
    if not can(user, capability):
        raise PermissionDeniedError(_("You do not have permission to do this."))


def cases_visible_to(user: User) -> QuerySet[Case]:
    """The cases `user` may see: all for supervisors, admins and M&E; own or shared otherwise."""
    if role_of(user) is None:
        return Case.objects.none()
    if can(user, Capability.VIEW_ALL_CASES):
        return Case.objects.all()
    # A subquery, not a JOIN: no duplicate rows, so no DISTINCT over every selected column (which
    # made PostgreSQL read and sort all of the worker's cases before the LIMIT of a list page).
    shared = Case.shared_with.through.objects.filter(user=user).values("case_id")
    return Case.objects.filter(Q(assigned_worker=user) | Q(pk__in=shared))


def case_for_actor(actor: User, case_id: int, *, for_update: bool = False) -> Case:
    """The case with `case_id` if `actor` may see it; NotFoundError alike when missing or hidden."""
    queryset = cases_visible_to(actor)
    if for_update:
        # DISTINCT cannot be locked: lock by primary key after the visibility check.
        if not queryset.filter(pk=case_id).exists():
            raise NotFoundError(_("Case not found."))
        return Case.objects.select_for_update().get(pk=case_id)
    case = queryset.filter(pk=case_id).first()
    if case is None:
        raise NotFoundError(_("Case not found."))
    return case


def case_for_editing(actor: User, case_id: int) -> Case:
    """A visible case, locked, that `actor` may change (edit capability). Closed cases are
    returned too (reopening needs them): writes call `_ensure_open`."""
    require(actor, Capability.EDIT_CASES)  # first: the same answer for any case id
    return case_for_actor(actor, case_id, for_update=True)
