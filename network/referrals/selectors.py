"""Reads of an NGO's referrals (its own schema)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import Capability, case_for_actor, cases_visible_to, require
from casework.audit import audit_record
from casework.models import Case, NGOSettings
from core import clock
from core.audit import AuditAction
from network import selectors as network_selectors
from network.models import Agency, ReferralState, ServiceType, SharedField, Urgency
from network.referrals.access import referral_for_actor
from network.referrals.models import Referral, ReferralEvent
from network.referrals.payload import in_field_order, shared_fields_display, sharing_consent
from network.referrals.services import OPEN_STATES, own_agency
from tenants.db import connection


def _overdue() -> Q:
    return Q(state=ReferralState.SENT, response_due_on__lt=clock.today())


def _narrowed(
    queryset: QuerySet[Referral], *, overdue: bool, states: list[str] | None
) -> QuerySet[Referral]:
    if states:
        queryset = queryset.filter(state__in=states)
    return queryset.filter(_overdue()) if overdue else queryset


def referrals_outgoing(
    *, actor, overdue: bool = False, states: list[str] | None = None
) -> QuerySet[Referral]:
    """Referrals sent from cases `actor` may see, newest first (optionally only overdue ones
    or those in `states`)."""
    require(actor, Capability.EDIT_CASES)
    queryset = Referral.objects.filter(
        direction=Referral.Direction.OUTGOING, case__in=cases_visible_to(actor)
    ).select_related("case")
    return _narrowed(queryset, overdue=overdue, states=states)


def referrals_incoming(
    *, actor, overdue: bool = False, states: list[str] | None = None
) -> QuerySet[Referral]:
    """The NGO's inbox: every referral received (staff who work on cases read it)."""
    require(actor, Capability.EDIT_CASES)
    queryset = Referral.objects.filter(direction=Referral.Direction.INCOMING)
    return _narrowed(queryset, overdue=overdue, states=states)


def referral_counts(*, actor) -> dict[str, int]:
    """For the home page: waiting in the inbox, overdue either way."""
    incoming = referrals_incoming(actor=actor)
    outgoing = referrals_outgoing(actor=actor)
    return {
        "incoming_waiting": incoming.filter(state=ReferralState.SENT).count(),
        "incoming_overdue": incoming.filter(_overdue()).count(),
        "outgoing_overdue": outgoing.filter(_overdue()).count(),
    }


def referral_detail(*, actor, referral_uuid) -> Referral:
    """One referral of either direction with its history and case loaded; NotFoundError alike
    for a missing or hidden referral. Shows no child field: `referral_open` does (audited)."""
    found = referral_for_actor(actor, referral_uuid)
    return (
        Referral.objects.select_related("case", "sent_by")
        .prefetch_related(Prefetch("events", queryset=ReferralEvent.objects.order_by("at", "id")))
        .get(pk=found.pk)
    )


@dataclass(frozen=True)
class ReferOption:
    """An agency the case may be referred to for a service, and what that would share."""

    agency: Agency
    service_type: str
    agreement_uuid: UUID
    fields: list[tuple[str, str]]  # (SharedField code, label in the active language)
    response_days: int
    already_referred: bool

    @property
    def service_label(self) -> str:
        return str(ServiceType(self.service_type).label)


@dataclass(frozen=True)
class ReferOptions:
    """What the refer form offers for a case: agencies by service, or why it cannot refer."""

    case: Case
    service_type: str | None
    options: list[ReferOption]
    blocked_reason: str | None


def case_visible(*, actor, referral: Referral) -> bool:
    """May `actor` open the case the referral is linked to (the receiver's case created on
    acceptance, held by the worker it was given to; or the sender's case)?"""
    return (
        referral.case_id is not None
        and cases_visible_to(actor).filter(pk=referral.case_id).exists()
    )


def refer_options(*, actor, case_id: int, service_type: str | None = None) -> ReferOptions:
    """Agencies this NGO may refer the case's child to (an agreement in force covering the
    service, serving the child's regency), each with the exact fields it would share and its
    response time; `blocked_reason` when the case is closed or the child's active consent does
    not cover sharing for referral. NotFoundError alike for a missing or hidden case."""
    require(actor, Capability.EDIT_CASES)  # first: the same answer for any case id
    case = case_for_actor(actor, case_id)
    blocked_reason = None
    if case.status == Case.Status.CLOSED:
        blocked_reason = _("This case is closed.")
    elif sharing_consent(case) is None:
        blocked_reason = _(
            "The guardian has not consented to sharing for referral: record that consent first."
        )
    sender = own_agency()
    services = [service_type] if service_type else list(ServiceType.values)
    if service_type and service_type not in ServiceType.values:
        services = []
    open_pairs = set(
        Referral.objects.filter(
            case=case, direction=Referral.Direction.OUTGOING, state__in=OPEN_STATES
        ).values_list("to_agency_uuid", "service_type")
    )
    options = []
    for service in services:
        agencies = network_selectors.agencies_referable(
            from_agency=sender, service_type=service, regency_code=case.regency_code or None
        )
        for agency in agencies:
            agreement = network_selectors.agreement_covering(
                from_agency=sender, to_agency=agency, service_type=service
            )
            if agreement is None:
                continue
            options.append(
                ReferOption(
                    agency=agency,
                    service_type=service,
                    agreement_uuid=agreement.uuid,
                    fields=[
                        (code, str(SharedField(code).label))
                        for code in in_field_order(list(agreement.shared_fields))
                    ],
                    response_days=agreement.response_days,
                    already_referred=(agency.uuid, service) in open_pairs,
                )
            )
    return ReferOptions(
        case=case, service_type=service_type, options=options, blocked_reason=blocked_reason
    )


@dataclass(frozen=True)
class ReferralLetter:
    """A printable referral letter (for an outside agency that is not a tenant, or any
    outgoing referral): everything in the active language."""

    referral: Referral
    agency_name: str
    agency_kind: str
    agency_contact: str
    agency_phone: str
    agency_address: str
    sender_name: str
    # How the agency answers: the sending NGO's contact (its directory entry, else what it gave
    # at onboarding) and the staff member who sent the referral.
    reply_phone: str
    reply_email: str
    reply_address: str
    sent_by_name: str
    sent_on: date
    service: str
    urgency: str
    due_on: date
    fields: list[tuple[str, str]]  # (label, value as text), the agreed fields except the reason
    reason: str


@transaction.atomic
def referral_letter(*, actor, referral_uuid) -> ReferralLetter:
    """The letter of an outgoing referral with the agreed fields as sent; showing the child's
    fields is audited as a view. NotFoundError alike for a missing, hidden or incoming one."""
    referral = referral_for_actor(actor, referral_uuid, direction=Referral.Direction.OUTGOING)
    require(actor, Capability.VIEW_IDENTITY)
    agency = Agency.objects.filter(uuid=referral.to_agency_uuid).first()
    data = referral.shared_data
    shown = [
        name for name in in_field_order(list(referral.shared_fields)) if name != SharedField.REASON
    ]
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="referral",
        object_id=str(referral.uuid),
        case_id=referral.case_id,
        details={"via": "letter", "fields": sorted(referral.shared_fields)},
    )
    return ReferralLetter(
        referral=referral,
        agency_name=agency.name if agency else referral.counterpart_name,
        agency_kind=agency.get_kind_display() if agency else "",
        agency_contact=agency.contact_name if agency else "",
        agency_phone=agency.phone if agency else "",
        agency_address=agency.address if agency else "",
        sender_name=_sender_name(),
        **_reply_contact(referral),
        sent_on=timezone.localdate(referral.sent_at),
        service=str(ServiceType(referral.service_type).label),
        urgency=str(Urgency(referral.urgency).label),
        due_on=referral.response_due_on,
        fields=shared_fields_display(data, shown),
        reason=str(data.get(SharedField.REASON, "")),
    )


def _reply_contact(referral: Referral) -> dict[str, str]:
    own = (
        Agency.objects.filter(ngo__schema_name=connection.schema_name).select_related("ngo").first()
    )
    ngo = own.ngo if own is not None else None
    sender = referral.sent_by
    return {
        "reply_phone": (own.phone if own else "") or (ngo.contact_phone if ngo else ""),
        "reply_email": (own.email if own else "") or (ngo.contact_email if ngo else ""),
        "reply_address": own.address if own else "",
        "sent_by_name": (sender.get_full_name() or sender.get_username()) if sender else "",
    }


def _sender_name() -> str:
    agency = Agency.objects.filter(ngo__schema_name=connection.schema_name).first()
    if agency is not None:
        return agency.name
    settings_row = NGOSettings.objects.first()
    return settings_row.ngo_name if settings_row else ""


@dataclass(frozen=True)
class CaseReferralEntry:
    """One step of a referral in a case's timeline (a ReferralEvent), rendered at read time
    in the reader's language."""

    kind = "referral"

    at: datetime
    state: str
    counterpart: str
    note: str
    direction: str
    service_type: str
    referral_uuid: UUID

    @property
    def state_label(self) -> str:
        return str(ReferralState(self.state).label)

    @property
    def title(self) -> str:
        if self.direction == Referral.Direction.OUTGOING:
            text = _("Referral to %(agency)s: %(state)s")
        else:
            text = _("Referral from %(agency)s: %(state)s")
        return text % {"agency": self.counterpart, "state": self.state_label}

    @property
    def detail(self) -> str:
        service = str(ServiceType(self.service_type).label)
        return f"{service} · {self.note}" if self.note else service


def case_referral_entries(*, case_id: int) -> list[CaseReferralEntry]:
    """Every step of the referrals of a case (sent from it, or the one it was created from),
    oldest first: for the case timeline (casework reads it through CASE_TIMELINE_PROVIDERS;
    the caller has already checked that the reader may see the case)."""
    events = (
        ReferralEvent.objects.filter(referral__case_id=case_id)
        .select_related("referral")
        .order_by("at", "id")
    )
    return [
        CaseReferralEntry(
            at=event.at,
            state=event.state,
            counterpart=event.referral.counterpart_name,
            note=event.note,
            direction=event.referral.direction,
            service_type=event.referral.service_type,
            referral_uuid=event.referral.uuid,
        )
        for event in events
    ]
