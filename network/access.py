"""Who may do what in the consortium layer (public schema).

A coordinator manages their own consortium's directory and agreements; the operator (a
public-schema superuser) manages every consortium. NGO staff act through their NGO's agency:
they read the directory and their own agreements and propose additions. Lookups answer "not
found" alike for what is missing and what the actor may not see.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from network.models import Agency, ReferralAgreement, ReferralEnvelope
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


def may_read_own_report(user) -> bool:
    """The NGO's own report (figures over every one of its cases, their exports, a recount):
    the staff who see every case, i.e. admins, supervisors and the M&E officer; a case worker
    sees only their own cases, so not the NGO's totals."""
    from casework.access import Capability, can

    return can(user, Capability.VIEW_ALL_CASES)


def require_own_report_reader(user) -> None:
    """PermissionDeniedError unless `user` may read the NGO's own report."""
    if not may_read_own_report(user):
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


def readable_consortia(user) -> QuerySet[Consortium]:
    """Consortia whose published reports `user` may read: coordinated or funded."""
    return (coordinated_consortia(user) | funded_consortia(user)).distinct()


def consortium_for_reader_request(user, slug: str | None) -> Consortium:
    """The consortium a reader's request is about (as `consortium_for_request`, for
    coordinators and funders alike)."""
    return _consortium_named(readable_consortia(user), slug)


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


def consortium_for_request(user, slug: str | None) -> Consortium:
    """The consortium a coordinator's request is about: the one named by `slug`, or the only one
    `user` coordinates. NotFoundError for one that is missing or not theirs; a field error when
    they coordinate several (the operator) and named none."""
    return _consortium_named(coordinated_consortia(user), slug)


def _consortium_named(consortia: QuerySet[Consortium], slug: str | None) -> Consortium:
    if slug:
        consortium = consortia.filter(slug=slug).first()
        if consortium is None:
            raise NotFoundError(_("Consortium not found."))
        return consortium
    only = list(consortia.order_by("pk")[:2])
    if len(only) != 1:
        message = _("Choose the consortium (its slug).")
        raise ApplicationError(message, fields={"consortium": [message]})
    return only[0]


def agency_coordinated(user, agency_uuid) -> Agency:
    """A directory entry of a consortium `user` coordinates; NotFoundError alike otherwise."""
    agency = (
        Agency.objects.select_related("consortium", "ngo", "proposed_by")
        .filter(uuid=agency_uuid, consortium__in=coordinated_consortia(user))
        .first()
    )
    if agency is None:
        raise NotFoundError(_("Agency not found."))
    return agency


def agreement_coordinated(user, agreement_uuid) -> ReferralAgreement:
    """An agreement of a consortium `user` coordinates; NotFoundError alike otherwise."""
    agreement = (
        ReferralAgreement.objects.select_related("consortium", "first_agency", "second_agency")
        .filter(uuid=agreement_uuid, consortium__in=coordinated_consortia(user))
        .first()
    )
    if agreement is None:
        raise NotFoundError(_("Agreement not found."))
    return agreement


def envelope_for_coordinator(user, referral_uuid) -> ReferralEnvelope:
    """A referral's public envelope, metadata only (the payload column is not loaded), if it
    belongs to a consortium `user` coordinates; NotFoundError alike otherwise."""
    envelope = (
        ReferralEnvelope.objects.select_related("from_agency", "to_agency")
        .defer("sealed_payload")
        .filter(referral_uuid=referral_uuid, consortium__in=coordinated_consortia(user))
        .first()
    )
    if envelope is None:
        raise NotFoundError(_("Referral not found."))
    return envelope


def agency_for_ngo(own: Agency, agency_uuid) -> Agency:
    """A directory entry NGO staff may read: approved and active in their consortium, or a
    proposal their own NGO made. NotFoundError alike otherwise."""
    agency = (
        Agency.objects.select_related("ngo")
        .filter(uuid=agency_uuid, consortium_id=own.consortium_id)
        .filter(
            Q(status=Agency.Status.APPROVED, is_active=True)
            | Q(status=Agency.Status.PROPOSED, proposed_by=own)
        )
        .first()
    )
    if agency is None:
        raise NotFoundError(_("Agency not found."))
    return agency


def agreement_for_ngo(own: Agency, agreement_uuid) -> ReferralAgreement:
    """An agreement the NGO's own agency is a party to; NotFoundError alike otherwise."""
    agreement = (
        ReferralAgreement.objects.select_related("first_agency", "second_agency")
        .filter(uuid=agreement_uuid)
        .filter(Q(first_agency=own) | Q(second_agency=own))
        .first()
    )
    if agreement is None:
        raise NotFoundError(_("Agreement not found."))
    return agreement


def require_referring_staff(user) -> None:
    """NGO staff who work on cases propose agencies and send and answer referrals; the M&E
    officer (figures only, no identities) may not."""
    from casework.access import Capability, require

    require(user, Capability.EDIT_CASES)
