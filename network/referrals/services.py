"""Referral writes in an NGO's own schema. Each writes the change, its history event, an audit
event and (when the other side is a tenant) an outbox message in one transaction; the public
envelope is locked for every state change, so it serialises races between the two sides."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import case_for_editing
from casework.audit import audit_record
from core import clock
from core.audit import AuditAction
from core.errors import ApplicationError, ConflictError, InvalidTransitionError
from network import sealing
from network import selectors as network_selectors
from network.models import (
    REFERRAL_TRANSITIONS,
    Agency,
    ReferralAgreement,
    ReferralEnvelope,
    ReferralState,
    ServiceType,
    Urgency,
)
from network.referrals.access import referral_for_actor
from network.referrals.delivery import (
    delivery_task_claim,
    delivery_task_release,
    outbox_mark_pending,
)
from network.referrals.keys import agency_key_for
from network.referrals.models import OutboxMessage, Referral, ReferralEvent
from network.referrals.payload import (
    consent_scope_of,
    intake_from_payload,
    shared_payload,
    sharing_consent,
)
from tenants.db import connection

OPEN_STATES = (ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS)
# States after which the sealed payload has no further use and is purged from the envelope.
PURGING_STATES = (ReferralState.ACCEPTED, ReferralState.DECLINED, ReferralState.WITHDRAWN)


def own_agency() -> Agency:
    """The directory entry of the NGO whose schema is active."""
    agency = (
        Agency.objects.select_related("consortium")
        .filter(ngo__schema_name=connection.schema_name)
        .first()
    )
    if agency is None:
        raise ApplicationError(
            _("This NGO is not in the consortium's directory yet; ask the coordinator."),
            code="no_agency",
        )
    return agency


def _sender_and_receiver(to_agency_uuid, *, regency_code: str | None) -> tuple[Agency, Agency]:
    """This NGO's directory entry and the receiving agency, in one query; the receiver is
    annotated `serves_child_region` (the child's regency, when the case has one)."""
    schema = connection.schema_name
    rows = (
        Agency.objects.select_related("consortium")
        .filter(Q(ngo__schema_name=schema) | Q(uuid=to_agency_uuid))
        .annotate(is_own=ExpressionWrapper(Q(ngo__schema_name=schema), BooleanField()))
    )
    if regency_code:
        rows = rows.annotate(
            serves_child_region=ExpressionWrapper(
                network_selectors.serves_region(regency_code), output_field=BooleanField()
            )
        )
    agencies = list(rows)
    sender = next((agency for agency in agencies if agency.is_own), None)
    if sender is None:
        return own_agency(), None  # type: ignore[return-value]  # own_agency raises here
    wanted = uuid.UUID(str(to_agency_uuid))
    receiver = next((agency for agency in agencies if agency.uuid == wanted), None)
    if (
        receiver is None
        or receiver.pk == sender.pk
        or receiver.consortium_id != sender.consortium_id
        or receiver.status != Agency.Status.APPROVED
        or not receiver.is_active
    ):
        raise _invalid("to_agency", _("Choose an agency of the consortium."))
    return sender, receiver


def _invalid(field: str, message: str, code: str = "invalid") -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


def _outbox_put(*, kind: str, referral_uuid, body: dict | None = None) -> OutboxMessage:
    """An outbox row, the schema's pending mark for the sweep (same transaction) and the
    delivery task queued on commit."""
    message = OutboxMessage.objects.create(kind=kind, referral_uuid=referral_uuid, body=body or {})
    outbox_mark_pending()
    _schedule_delivery(message)
    return message


def _actor_name(actor) -> str:
    """How a referral's history names the staff member who acted: their name, else their
    login (the other agency reads it too)."""
    return (actor.get_full_name() or actor.get_username())[:150]


NOTE_LIMIT = 2000


def _note(field: str, value: str | None) -> str:
    """A free-text note, stripped; longer than NOTE_LIMIT is a field error (never cut)."""
    text = (value or "").strip()
    if len(text) > NOTE_LIMIT:
        raise _invalid(field, _("At most 2,000 characters."))
    return text


def _schedule_delivery(message: OutboxMessage) -> None:
    from network.tasks import referral_outbox_deliver

    schema = connection.schema_name

    def enqueue() -> None:
        # If Redis is down the message stays in the outbox and the sweep delivers it.
        try:
            # One task per schema at a time: while one is queued and not started, it will
            # deliver this message too (it drains the outbox once it starts), so under load
            # the worker delivers in batches instead of paying a task per referral.
            if not delivery_task_claim(schema):
                return
            # The schema of the outbox, not the connection's at commit time: an outer
            # transaction (seed_demo, a script) may commit from another schema, and
            # tenant-schemas-celery would stamp that one.
            try:
                referral_outbox_deliver.apply_async(
                    kwargs={"message_uuid": str(message.uuid)}, headers={"_schema_name": schema}
                )
            except Exception:
                delivery_task_release(schema)  # nothing queued: the next commit may queue
                raise
        except Exception:  # noqa: BLE001 - any broker failure: the sweep is the safety net
            import logging

            logging.getLogger(__name__).warning(
                "referral delivery not queued (schema %s); the sweep will deliver it", schema
            )

    transaction.on_commit(enqueue)


def _event(referral: Referral, state: str, *, agency: Agency, actor_name: str, note: str = ""):
    event = ReferralEvent.objects.create(
        referral=referral,
        state=state,
        note=note,
        by_agency_uuid=agency.uuid,
        actor_name=actor_name,
        at=timezone.now(),
    )
    return event


def _announce(referral: Referral, event: ReferralEvent) -> None:
    """Queue the state change for the other side (partners only)."""
    if not referral.counterpart_is_partner:
        return
    _outbox_put(
        kind=OutboxMessage.Kind.STATE,
        referral_uuid=referral.uuid,
        body={
            "event_uuid": str(event.event_uuid),
            "state": event.state,
            "note": event.note,
            "actor_name": event.actor_name,
            "by_agency_uuid": str(event.by_agency_uuid),
            "at": event.at.isoformat(),
        },
    )


@transaction.atomic
def referral_send(
    *,
    actor,
    case_id: int,
    to_agency_uuid,
    service_type: str,
    reason: str,
    urgency: str = Urgency.NORMAL,
) -> Referral:
    """Refer the child of a case to an agency under an agreement in force, sharing exactly the
    agreed fields as of now. Needs the child's active consent to sharing for referral."""
    case = case_for_editing(actor, case_id)
    if case.status == case.Status.CLOSED:
        raise _invalid("case", _("This case is closed."), code="case_closed")
    if service_type not in ServiceType.values:
        raise _invalid("service_type", _("Choose a service."))
    if urgency not in Urgency.values:
        raise _invalid("urgency", _("Choose an urgency."))
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Say why the child is referred."))
    if len(reason) > 2000:
        raise _invalid("reason", _("At most 2,000 characters."))
    sender, receiver = _sender_and_receiver(to_agency_uuid, regency_code=case.regency_code)
    agreement = network_selectors.agreement_covering(
        from_agency=sender, to_agency=receiver, service_type=service_type
    )
    if agreement is None:
        raise _invalid(
            "to_agency",
            _("There is no referral agreement in force with this agency for this service."),
            code="no_agreement",
        )
    if case.regency_code and not receiver.serves_child_region:  # type: ignore[attr-defined]
        raise _invalid("to_agency", _("This agency does not serve the child's regency."))
    consent = sharing_consent(case)
    if consent is None:
        raise _invalid(
            "consent",
            _("The guardian has not consented to sharing for referral: record that consent first."),
            code="consent_required",
        )
    if Referral.objects.filter(
        case=case,
        direction=Referral.Direction.OUTGOING,
        to_agency_uuid=receiver.uuid,
        service_type=service_type,
        state__in=OPEN_STATES,
    ).exists():
        raise ConflictError(
            _("This child is already referred to this agency for this service."),
            code="already_referred",
            fields={"to_agency": [_("Already referred; wait for the answer.")]},
        )
    now = timezone.now()
    referral = Referral.objects.create(
        direction=Referral.Direction.OUTGOING,
        case=case,
        from_agency_uuid=sender.uuid,
        to_agency_uuid=receiver.uuid,
        agreement_uuid=agreement.uuid,
        counterpart_name=receiver.name,
        counterpart_is_partner=receiver.is_partner,
        service_type=service_type,
        urgency=urgency,
        shared_fields=list(agreement.shared_fields),
        shared_data=shared_payload(case, list(agreement.shared_fields), reason=reason),
        consent_on=consent.consented_on,
        consent_scope=consent_scope_of(consent),
        state=ReferralState.SENT,
        state_changed_at=now,
        sent_at=now,
        response_due_on=clock.today() + timedelta(days=agreement.response_days),
        sent_by=actor,
    )
    _event(referral, ReferralState.SENT, agency=sender, actor_name=_actor_name(actor))
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="referral",
        object_id=str(referral.uuid),
        case_id=case.pk,
        changed_fields={
            "to_agency": [None, receiver.name],
            "service_type": [None, service_type],
            "shared_fields": [None, list(agreement.shared_fields)],
        },
    )
    if receiver.is_partner:
        _outbox_put(kind=OutboxMessage.Kind.REFERRAL, referral_uuid=referral.uuid)
    return referral


def _envelope_move(referral: Referral, to_state: str) -> None:
    """Check and apply a state change on the public envelope (locked), the arbiter between the
    two sides. A referral not delivered yet has no envelope: only the sender can act on it."""
    envelope = (
        ReferralEnvelope.objects.select_for_update().filter(referral_uuid=referral.uuid).first()
    )
    current = envelope.state if envelope else referral.state
    allowed = REFERRAL_TRANSITIONS[ReferralState(current)]
    if to_state not in allowed:
        raise InvalidTransitionError(
            current=current,
            requested=to_state,
            allowed=list(allowed),
            labels=dict(ReferralState.choices),
        )
    if envelope is not None:
        envelope.state = to_state
        envelope.state_changed_at = timezone.now()
        fields = ["state", "state_changed_at"]
        if to_state in PURGING_STATES and envelope.purged_at is None:
            envelope.sealed_payload = None
            envelope.purged_at = envelope.state_changed_at
            fields += ["sealed_payload", "purged_at"]
        envelope.save(update_fields=fields)


def _referral_for(actor, referral_uuid, direction: str) -> Referral:
    """The referral, locked, if `actor` may see it: a referral of a case hidden from the actor
    answers "Referral not found." exactly like a missing one (not "Case not found.", which
    would tell that it exists)."""
    referral = referral_for_actor(actor, referral_uuid, direction=direction, for_update=True)
    if direction == Referral.Direction.OUTGOING:
        # The sender's case decides who may act on it.
        case_for_editing(actor, referral.case_id)  # type: ignore[arg-type]  # outgoing: set
    return referral


def _change(
    referral: Referral, to_state: str, *, actor, note: str = "", audit_case_id=None
) -> Referral:
    _envelope_move(referral, to_state)
    before = referral.state
    referral.state = to_state
    referral.state_changed_at = timezone.now()
    referral.save(update_fields=["state", "state_changed_at", "decline_reason", "outcome_note"])
    agency_uuid = (
        referral.from_agency_uuid
        if referral.direction == Referral.Direction.OUTGOING
        else referral.to_agency_uuid
    )
    agency = Agency(uuid=agency_uuid)
    event = _event(referral, to_state, agency=agency, actor_name=_actor_name(actor), note=note)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        object_type="referral",
        object_id=str(referral.uuid),
        case_id=audit_case_id,
        changed_fields={"state": [before, to_state]},
    )
    _announce(referral, event)
    return referral


@transaction.atomic
def referral_withdraw(*, actor, referral_uuid, reason: str = "") -> Referral:
    """The sender takes back a referral not yet accepted; its payload is purged."""
    reason = _note("reason", reason)
    referral = _referral_for(actor, referral_uuid, Referral.Direction.OUTGOING)
    return _withdraw(referral, actor=actor, reason=reason)


def _withdraw(referral: Referral, *, actor, reason: str) -> Referral:
    pending = OutboxMessage.objects.select_for_update().filter(
        referral_uuid=referral.uuid, kind=OutboxMessage.Kind.REFERRAL, delivered_at__isnull=True
    )
    never_delivered = pending.exists()
    referral = _change(
        referral,
        ReferralState.WITHDRAWN,
        actor=actor,
        note=(reason or "").strip(),
        audit_case_id=referral.case_id,
    )
    if never_delivered:
        # Nothing reaches the receiver, so the withdrawal needs no announcement either.
        now = timezone.now()
        OutboxMessage.objects.filter(referral_uuid=referral.uuid, delivered_at__isnull=True).update(
            delivered_at=now, last_error="withdrawn before delivery"
        )
    return referral


@transaction.atomic
def referral_decline(*, actor, referral_uuid, reason: str) -> Referral:
    """The receiver declines, with a reason the sender will read."""
    referral = _referral_for(actor, referral_uuid, Referral.Direction.INCOMING)
    reason = _note("reason", reason)
    if not reason:
        raise _invalid("reason", _("Say why the referral is declined."))
    referral.decline_reason = reason
    return _change(referral, ReferralState.DECLINED, actor=actor, note=referral.decline_reason)


@transaction.atomic
def referral_progress(*, actor, referral_uuid, note: str = "") -> Referral:
    """The receiver reports that the service has started."""
    note = _note("note", note)
    referral = _referral_for(actor, referral_uuid, Referral.Direction.INCOMING)
    return _change(
        referral,
        ReferralState.IN_PROGRESS,
        actor=actor,
        note=note,
        audit_case_id=referral.case_id,
    )


@transaction.atomic
def referral_complete(*, actor, referral_uuid, outcome_note: str) -> Referral:
    """The receiver reports the service done, with an outcome note for the sender."""
    referral = _referral_for(actor, referral_uuid, Referral.Direction.INCOMING)
    outcome_note = _note("outcome_note", outcome_note)
    if not outcome_note:
        raise _invalid("outcome_note", _("Describe the outcome for the referring NGO."))
    referral.outcome_note = outcome_note
    return _change(
        referral,
        ReferralState.COMPLETED,
        actor=actor,
        note=referral.outcome_note,
        audit_case_id=referral.case_id,
    )


def agreement_of(referral: Referral) -> ReferralAgreement | None:
    return ReferralAgreement.objects.filter(uuid=referral.agreement_uuid).first()


def referrals_withdraw_for_child(*, actor, child_id: int) -> int:
    """Consent to sharing was withdrawn: withdraw the child's referrals still waiting for an
    answer and purge their payloads (called by casework's consent withdrawal)."""
    pending = Referral.objects.select_for_update().filter(
        direction=Referral.Direction.OUTGOING,
        case__child_id=child_id,
        state=ReferralState.SENT,
    )
    count = 0
    for referral in pending:
        _withdraw(referral, actor=actor, reason="consent withdrawn")
        count += 1
    return count


@transaction.atomic
def referral_record_response(*, actor, referral_uuid, state: str, note: str = "") -> Referral:
    """For an outside agency that is not a tenant, the sender records its answer (accepted,
    declined, in progress, completed) as the agency gives it, by phone or letter."""
    referral = _referral_for(actor, referral_uuid, Referral.Direction.OUTGOING)
    if referral.counterpart_is_partner:
        raise _invalid(
            "state", _("A partner NGO answers in Terpadu itself."), code="partner_answers"
        )
    note = _note("note", note)
    if state == ReferralState.DECLINED:
        referral.decline_reason = note
    if state == ReferralState.COMPLETED:
        referral.outcome_note = note
    return _change(referral, state, actor=actor, note=note, audit_case_id=referral.case_id)


@dataclass
class OpenedReferral:
    """A referral with the child's shared fields as this NGO may read them: the opened
    payload (incoming; None once purged, when the accepted case holds them) or the fields as
    copied when sent (outgoing)."""

    referral: Referral
    fields: dict[str, Any] | None


def _envelope_of(referral: Referral, *, for_update: bool = False) -> ReferralEnvelope | None:
    """The public envelope of an incoming referral, addressed to this NGO."""
    rows = ReferralEnvelope.objects.select_for_update() if for_update else ReferralEnvelope.objects
    return rows.filter(referral_uuid=referral.uuid, to_agency__uuid=own_agency().uuid).first()


def _opened_payload(envelope: ReferralEnvelope | None) -> dict[str, Any] | None:
    """Open the envelope's sealed payload with this NGO's own key; None once purged."""
    if envelope is None or envelope.sealed_payload is None:
        return None
    key = agency_key_for(envelope.key_id)
    message = _("This referral cannot be opened with this NGO's keys; ask the sender to resend.")
    if key is None:
        raise ApplicationError(message, code="payload_unreadable")
    try:
        return sealing.open_sealed(key.private_key_wrapped, bytes(envelope.sealed_payload))
    except sealing.SealingError:
        raise ApplicationError(message, code="payload_unreadable") from None


@transaction.atomic
def referral_open(*, actor, referral_uuid) -> OpenedReferral:
    """Read a referral with the child's shared fields, audited as a view in this schema.
    Incoming: the payload opened with this NGO's own key (fields None once purged). Outgoing:
    the fields as sent. NotFoundError alike for a missing or hidden referral."""
    from casework.access import Capability, require

    referral = referral_for_actor(actor, referral_uuid)
    require(actor, Capability.VIEW_IDENTITY)
    if referral.direction == Referral.Direction.INCOMING:
        fields = _opened_payload(_envelope_of(referral))
    else:
        fields = dict(referral.shared_data)
    audit_record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type="referral",
        object_id=str(referral.uuid),
        case_id=referral.case_id,
        details={
            "direction": referral.direction,
            "fields": sorted(fields) if fields is not None else [],
        },
    )
    return OpenedReferral(referral=referral, fields=fields)


@transaction.atomic
def referral_accept(*, actor, referral_uuid, assign_to_id: int | None = None) -> Referral:
    """Accept an incoming referral: one child and case created here (through
    `child_register`) from exactly the agreed fields, linked to the referral, with the
    sender's consent carried over for reconfirmation at first contact; the payload is purged
    from the envelope and "accepted" flows back to the sender.

    The referral row and then the envelope are locked, so two workers accepting at once create
    one case: the second gets a ConflictError (`already_accepted`). A state that does not allow
    acceptance (withdrawn meanwhile, declined, ...) is an InvalidTransitionError naming the
    allowed states."""
    from casework import services as casework_services
    from casework.access import Capability, can, require

    referral = referral_for_actor(
        actor, referral_uuid, direction=Referral.Direction.INCOMING, for_update=True
    )
    require(actor, Capability.VIEW_IDENTITY)
    if referral.case_id is not None or referral.state == ReferralState.ACCEPTED:
        raise ConflictError(
            _("This referral was already accepted."),
            code="already_accepted",
            fields={"state": [_("Already accepted.")]},
        )
    envelope = _envelope_of(referral, for_update=True)
    current = envelope.state if envelope is not None else referral.state
    allowed = REFERRAL_TRANSITIONS[ReferralState(current)]
    if ReferralState.ACCEPTED not in allowed:
        raise InvalidTransitionError(
            current=current,
            requested=ReferralState.ACCEPTED,
            allowed=list(allowed),
            labels=dict(ReferralState.choices),
        )
    if assign_to_id is None and not can(actor, Capability.HOLD_CASES):
        raise _invalid("assign_to_id", _("Choose the worker who will hold the case."))
    fields = _opened_payload(envelope)
    if fields is None:
        raise ApplicationError(
            _("This referral's payload is no longer available; ask the sender to resend."),
            code="payload_unavailable",
        )
    intake = intake_from_payload(
        fields, shared_fields=list(referral.shared_fields), sender_name=referral.counterpart_name
    )
    try:
        case = casework_services.child_register(
            actor=actor,
            child=intake.child,
            household=intake.household,
            assigned_worker_id=assign_to_id,
        )
    except ApplicationError as error:
        # The worker is chosen as `assign_to_id` here: name that field in the error.
        if "assigned_worker_id" in error.fields:
            error.fields["assign_to_id"] = error.fields.pop("assigned_worker_id")
        raise
    if intake.risk_level:
        before = case.risk_level
        case.risk_level = intake.risk_level
        case.full_clean(exclude=["child", "assigned_worker", "closure_requested_by", "closed_by"])
        case.save(update_fields=["risk_level", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=case,
            case_id=case.pk,
            changed_fields={"risk_level": [before or None, case.risk_level]},
        )
    scope = set(referral.consent_scope or ["record_keeping", "referral_sharing"])
    casework_services.consent_carry_over(
        actor=actor,
        child_id=case.child_id,
        data=casework_services.CarriedConsentInput(
            source_agency_name=referral.counterpart_name,
            source_agency_uuid=referral.from_agency_uuid,
            consented_on=referral.consent_on or timezone.localdate(referral.sent_at),
            scope_record_keeping="record_keeping" in scope,
            scope_referral_sharing="referral_sharing" in scope,
            scope_photos="photos" in scope,
        ),
    )
    if intake.note:
        casework_services.note_add(actor=actor, case_id=case.pk, body=intake.note)
    referral.case = case
    referral.save(update_fields=["case", "updated_at"])
    _change(referral, ReferralState.ACCEPTED, actor=actor, audit_case_id=case.pk)
    return referral
