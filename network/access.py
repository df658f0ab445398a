"""Who may do what in the consortium layer (public schema).

A coordinator manages their own consortium's directory and agreements; the operator (a
public-schema superuser) manages every consortium. NGO staff act through their NGO's agency:
they read the directory and their own agreements and propose additions. Lookups answer "not
found" alike for what is missing and what the actor may not see.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import NotFoundError, PermissionDeniedError
from network.models import Agency, ReferralAgreement
from tenants.models import NGO, Consortium, ConsortiumMembership


def coordinated_consortia(user) -> QuerySet[Consortium]:
    """Consortia `user` coordinates: all for the operator, none for anyone else."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Consortium.objects.none()
    if user.is_superuser:
        return Consortium.objects.all()
    return Consortium.objects.filter(
        members__user=user, members__role=ConsortiumMembership.Role.COORDINATOR
    ).distinct()


def consortium_for_coordinator(user, consortium_id: int) -> Consortium:
    """The consortium if `user` coordinates it; NotFoundError alike when missing or not theirs."""
    consortium = coordinated_consortia(user).filter(pk=consortium_id).first()
    if consortium is None:
        raise NotFoundError(_("Consortium not found."))
    return consortium


def require_coordinator(user, consortium: Consortium) -> None:
    """PermissionDeniedError unless `user` coordinates `consortium` (or is the operator)."""
    if not coordinated_consortia(user).filter(pk=consortium.pk).exists():
        raise PermissionDeniedError(_("Only the consortium's coordinators can do this."))


# --- NGO staff (inside an NGO's host): what they may do in the consortium layer ---------------


def may_refer(user) -> bool:
    """Staff who work on cases send referrals and answer the NGO's inbox."""
    from casework.access import Capability, can

    return can(user, Capability.EDIT_CASES)


def may_propose_agency(user) -> bool:
    """Staff who refer children propose the outside agencies they refer to; every staff
    member reads the directory and the NGO's agreements."""
    return may_refer(user)


def require_agency_proposer(user) -> None:
    """PermissionDeniedError unless `user` may propose an agency for the directory."""
    if not may_propose_agency(user):
        raise PermissionDeniedError(_("You do not have permission to do this."))


def funded_consortia(user) -> QuerySet[Consortium]:
    """Consortia where `user` is a funder / reader (they read published reports only)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Consortium.objects.none()
    return Consortium.objects.filter(
        members__user=user, members__role=ConsortiumMembership.Role.FUNDER
    ).distinct()


def consortium_for_reader(user, consortium_id: int) -> Consortium:
    """The consortium if `user` may read its published reports: its coordinators, its funders
    and the operator. NotFoundError alike when missing or not theirs."""
    consortium = coordinated_consortia(user).filter(pk=consortium_id).first()
    if consortium is None:
        consortium = funded_consortia(user).filter(pk=consortium_id).first()
    if consortium is None:
        raise NotFoundError(_("Consortium not found."))
    return consortium


def ngo_for_coordinator(user, consortium: Consortium, slug: str) -> NGO:
    """A member NGO of `consortium` that `user` coordinates; NotFoundError otherwise."""
    require_coordinator(user, consortium)
    ngo = NGO.objects.filter(consortium=consortium, slug=slug, is_template=False).first()
    if ngo is None:
        raise NotFoundError(_("NGO not found."))
    return ngo


def agency_for_coordinator(user, consortium: Consortium, agency_uuid) -> Agency:
    """A directory entry of `consortium` that `user` coordinates; NotFoundError otherwise."""
    require_coordinator(user, consortium)
    agency = Agency.objects.filter(consortium=consortium, uuid=agency_uuid).first()
    if agency is None:
        raise NotFoundError(_("Agency not found."))
    return agency


def agreement_for_coordinator(user, consortium: Consortium, agreement_uuid) -> ReferralAgreement:
    """An agreement of `consortium` that `user` coordinates; NotFoundError otherwise."""
    require_coordinator(user, consortium)
    agreement = (
        ReferralAgreement.objects.filter(consortium=consortium, uuid=agreement_uuid)
        .select_related("first_agency", "second_agency")
        .first()
    )
    if agreement is None:
        raise NotFoundError(_("Agreement not found."))
    return agreement
