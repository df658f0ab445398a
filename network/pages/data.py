"""What the referral pages read, in the shapes their templates use: each function calls one
of network's selectors or services (which decide access and audit) and arranges the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from core import clock
from core.errors import ApplicationError
from network import selectors as network_selectors
from network.models import Agency, ReferralAgreement, SharedField
from network.pages.fields import in_field_order, shared_rows
from network.referrals import selectors, services
from network.referrals.models import Referral
from network.referrals.payload import shared_payload
from network.referrals.selectors import ReferOption


@dataclass
class OfferedAgency:
    """An agency offered on the refer form, with the child's values of exactly the fields
    it would receive ((label, text) rows)."""

    option: ReferOption
    rows: list[tuple[str, str]]


@dataclass
class ReferChoices:
    service_type: str
    offered: list[OfferedAgency] = field(default_factory=list)
    # Why nothing can be sent (consent to sharing missing, case closed, NGO not in the directory).
    blocked_reason: str = ""

    @property
    def sendable(self) -> bool:
        return not self.blocked_reason and any(
            not item.option.already_referred for item in self.offered
        )


def refer_choices(*, actor, case_id: int, service_type: str) -> ReferChoices:
    """The agencies offered on the refer form for `service_type` (selectors.refer_options),
    each with the values it would receive, as of now."""
    try:
        options = selectors.refer_options(actor=actor, case_id=case_id, service_type=service_type)
    except ApplicationError as error:
        if error.status_code != 400:
            raise  # not found, not allowed: the view's 404 / 403
        return ReferChoices(service_type, blocked_reason=error.message)
    choices = ReferChoices(service_type, blocked_reason=options.blocked_reason or "")
    if choices.blocked_reason:
        return choices  # nothing to preview: no field of the child is shown
    reason_hint = _("(what you write under Reason below)")
    for option in options.options:
        codes = [code for code, _label in option.fields]
        values = shared_payload(options.case, codes, reason=reason_hint)
        choices.offered.append(OfferedAgency(option, shared_rows(codes, values)))
    return choices


def referral_detail(*, actor, referral_uuid) -> Referral:
    """The referral with its events, if `actor` may see it (NotFoundError alike otherwise)."""
    return selectors.referral_detail(actor=actor, referral_uuid=referral_uuid)


@dataclass
class Opened:
    """The shared fields as the page shows them; `problem` when they could not be opened."""

    data: dict[str, Any] | None
    problem: str = ""


def referral_fields(*, actor, referral: Referral) -> Opened:
    """The shared fields, opened through `referral_open` (audited as a view)."""
    try:
        opened = services.referral_open(actor=actor, referral_uuid=referral.uuid)
    except ApplicationError as error:
        if error.status_code != 400:
            raise
        return Opened(None, error.message)
    return Opened(opened.fields)


def counterpart(referral: Referral) -> Agency | None:
    """The other side's directory entry (its contact for the referral page)."""
    uuid = (
        referral.to_agency_uuid
        if referral.direction == Referral.Direction.OUTGOING
        else referral.from_agency_uuid
    )
    return Agency.objects.filter(uuid=uuid).first()


@dataclass
class Letter:
    letter: selectors.ReferralLetter
    agency: Agency | None
    rows: list[tuple[str, str]]
    shares_reason: bool


def referral_letter(*, actor, referral_uuid) -> Letter:
    """The printable letter (selectors.referral_letter, audited), with the agency's full
    contact and the fields in the fixed order."""
    letter = selectors.referral_letter(actor=actor, referral_uuid=referral_uuid)
    referral = letter.referral
    shown = [name for name in in_field_order(referral.shared_fields) if name != SharedField.REASON]
    return Letter(
        letter=letter,
        agency=Agency.objects.filter(uuid=referral.to_agency_uuid).first(),
        rows=shared_rows(shown, referral.shared_data),
        shares_reason=SharedField.REASON in referral.shared_fields,
    )


def agreement_rows(agency: Agency) -> list[dict[str, Any]]:
    """The agency's agreements (network.selectors.agreements_of) as its staff read them: the
    other party, whether this NGO may send under it, and whether it is in force today."""
    today = clock.today()
    rows = []
    for agreement in network_selectors.agreements_of(agency):
        ours_first = agreement.first_agency_id == agency.pk
        rows.append(
            {
                "agreement": agreement,
                "other": agreement.second_agency if ours_first else agreement.first_agency,
                "may_send": ours_first
                or agreement.direction == ReferralAgreement.Direction.BOTH_WAYS,
                "in_force": agreement.status == ReferralAgreement.Status.ACTIVE
                and agreement.valid_from <= today
                and (agreement.valid_to is None or agreement.valid_to >= today),
            }
        )
    return rows
