"""Who may read and write capacity-building records.

Coordinators (and the operator) keep their consortium's records: the lookups here answer "not
found" alike for what is missing and what belongs to another consortium. On an NGO's own host,
its history is read by the NGO's management (the admin role): mentoring findings are about the
organisation, not about cases, and case workers do not see them.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from casework.access import Capability, can
from core.errors import NotFoundError, PermissionDeniedError
from network.access import coordinated_consortia
from network.capacity.models import AgreedAction, MentoringVisit, SelfAssessment, Training
from tenants.models import NGO, Consortium

# The capability that stands for "manages the NGO" in casework's policy (admins only).
READ_HISTORY = Capability.MANAGE_SETTINGS


def may_read_history(user: User | AnonymousUser | None) -> bool:
    """NGO host: may `user` read the NGO's capacity-building history?"""
    return can(user, READ_HISTORY)


def require_history_reader(user: User | AnonymousUser | None) -> None:
    """PermissionDeniedError unless `user` may read the NGO's capacity-building history."""
    if not may_read_history(user):
        raise PermissionDeniedError(_("You do not have permission to do this."))


def member_ngos(consortium: Consortium) -> QuerySet[NGO]:
    """The NGOs capacity-building records may name: the consortium's partner NGOs, archived
    ones left out (their history stays, nothing new is recorded for them)."""
    return (
        NGO.objects.filter(consortium=consortium, is_template=False)
        .exclude(status=NGO.Status.ARCHIVED)
        .order_by("name", "pk")
    )


M = TypeVar("M", bound=Model)
Key = UUID | str


def _scoped(
    queryset: QuerySet[M], user: User, consortium: Consortium | None, path: str = "consortium"
) -> QuerySet[M]:
    """`queryset` limited to the consortia `user` coordinates, and to `consortium` if given
    (a console page names its consortium in the address)."""
    queryset = queryset.filter(**{f"{path}__in": coordinated_consortia(user)})
    return queryset.filter(**{path: consortium}) if consortium is not None else queryset


def training_coordinated(
    user: User, training_uuid: Key, consortium: Consortium | None = None
) -> Training:
    """A training of a consortium `user` coordinates (`consortium` if given); NotFoundError
    alike otherwise."""
    training = (
        _scoped(Training.objects.select_related("consortium"), user, consortium)
        .filter(uuid=training_uuid)
        .first()
    )
    if training is None:
        raise NotFoundError(_("Training not found."))
    return training


def visit_coordinated(
    user: User, visit_uuid: Key, consortium: Consortium | None = None
) -> MentoringVisit:
    """A mentoring visit of a consortium `user` coordinates (`consortium` if given);
    NotFoundError alike otherwise."""
    visit = (
        _scoped(MentoringVisit.objects.select_related("consortium", "ngo"), user, consortium)
        .filter(uuid=visit_uuid)
        .first()
    )
    if visit is None:
        raise NotFoundError(_("Mentoring visit not found."))
    return visit


def action_coordinated(
    user: User, action_uuid: Key, visit: MentoringVisit | None = None
) -> AgreedAction:
    """An agreed action of a visit in a consortium `user` coordinates (of `visit` if given);
    NotFoundError alike otherwise."""
    queryset = _scoped(
        AgreedAction.objects.select_related("visit__consortium", "visit__ngo"),
        user,
        None,
        "visit__consortium",
    )
    if visit is not None:
        queryset = queryset.filter(visit=visit)
    action = queryset.filter(uuid=action_uuid).first()
    if action is None:
        raise NotFoundError(_("Agreed action not found."))
    return action


def self_assessment_coordinated(user: User, assessment_uuid: Key) -> SelfAssessment:
    """A self-assessment of an NGO in a consortium `user` coordinates; NotFoundError alike."""
    assessment = (
        SelfAssessment.objects.select_related("ngo")
        .filter(uuid=assessment_uuid, ngo__consortium__in=coordinated_consortia(user))
        .first()
    )
    if assessment is None:
        raise NotFoundError(_("Self-assessment not found."))
    return assessment
