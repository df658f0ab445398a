"""What the referral pages read, in the shapes their templates use, from network's selectors
and services (one call each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from casework.audit import audit_record
from casework.selectors import case_for_form
from core.audit import AuditAction
from core.errors import ApplicationError, NotFoundError
from network import selectors as network_selectors
from network.models import Agency, ReferralAgreement
from network.pages.fields import shared_rows
from network.referrals import selectors
from network.referrals.models import Referral, ReferralEvent
from network.referrals.payload import sharing_consent
from network.referrals.services import own_agency


@dataclass
class ReferOption:
    """An agency the child may be referred to for the chosen service, with exactly the fields
    that would be shared ((label, text) rows, the child's values as of now)."""

    agency: Agency
    agreement: ReferralAgreement
    fields: list[str]
    rows: list[tuple[str, str]]


@dataclass
class ReferChoices:
    service_type: str
    options: list[ReferOption] = field(default_factory=list)
    # Why nothing can be sent (consent to sharing missing, the NGO not in the directory).
    blocked_reason: str = ""


def refer_choices(*, actor, case_id: int, service_type: str) -> ReferChoices:
    """The agencies offered on the refer form for `service_type`."""
    from django.utils.translation import gettext as _

    from network.referrals.payload import shared_payload

    case = case_for_form(actor=actor, case_id=case_id)
    try:
        sender = own_agency()
    except ApplicationError as error:
        return ReferChoices(service_type, blocked_reason=error.message)
    choices = ReferChoices(service_type)
    if sharing_consent(case) is None:
        choices.blocked_reason = _(
            "The guardian has not consented to sharing for referral: record that consent first."
        )
    for agency in network_selectors.agencies_referable(
        from_agency=sender, service_type=service_type, regency_code=case.regency_code or None
    ):
        agreement = network_selectors.agreement_covering(
            from_agency=sender, to_agency=agency, service_type=service_type
        )
        if agreement is None:
            continue
        fields = list(agreement.shared_fields)
        data = shared_payload(case, fields, reason=_("(what you write under Reason below)"))
        choices.options.append(ReferOption(agency, agreement, fields, shared_rows(fields, data)))
    return choices


def referral_detail(*, actor, referral_uuid) -> Referral:
    """The referral with its events, if `actor` may see it (NotFoundError alike otherwise)."""
    events = Prefetch("events", queryset=ReferralEvent.objects.order_by("at", "id"))
    for queryset in (
        selectors.referrals_outgoing(actor=actor),
        selectors.referrals_incoming(actor=actor),
    ):
        referral = queryset.prefetch_related(events).filter(uuid=referral_uuid).first()
        if referral is not None:
            return referral
    raise NotFoundError("Referral not found.")


@transaction.atomic
def referral_fields(*, actor, referral: Referral) -> dict[str, Any] | None:
    """The shared fields of a referral, read (and audited) for the referral page."""
    if referral.direction != Referral.Direction.OUTGOING:
        return None
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="referral",
        object_id=str(referral.uuid),
        case_id=referral.case_id,
        details={"fields": list(referral.shared_fields)},
    )
    return dict(referral.shared_data)


def counterpart(referral: Referral) -> Agency | None:
    """The other side's directory entry (its contact for the page and the letter)."""
    uuid = (
        referral.to_agency_uuid
        if referral.direction == Referral.Direction.OUTGOING
        else referral.from_agency_uuid
    )
    return Agency.objects.filter(uuid=uuid).first()


def sender() -> Agency | None:
    """This NGO's own directory entry (the letterhead)."""
    try:
        return own_agency()
    except ApplicationError:
        return None
