"""Draining an NGO's referral outbox (runs in the sender's schema: the on-commit task and the
sweep). One transaction per message: the envelope, the other side's rows and the outbox mark
commit together, so a killed worker or a repeated task delivers exactly once.

Every statement counts here (each also costs django-tenants a `SET search_path`): a new
referral is delivered in one transaction of 12 statements (bench/referrals.py prints the count).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.db import transaction
from django.utils import timezone

from network import bridge, sealing
from network.models import (
    Agency,
    OutboxPending,
    ReferralAgreement,
    ReferralEnvelope,
    ReferralState,
)
from network.referrals.models import OutboxMessage, Referral
from tenants.db import connection

logger = logging.getLogger(__name__)


class NotDeliverableYet(Exception):
    """The other side cannot take the message now (suspended, no key yet); it stays queued.
    Raised before the handler writes anything."""


def outbox_mark_pending() -> None:
    """Tell the sweep that this schema's outbox has something to deliver: called in the same
    transaction as each outbox row (one upsert on a public row of this NGO)."""
    OutboxPending.objects.bulk_create(
        [OutboxPending(schema_name=connection.schema_name, marked_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["schema_name"],
        update_fields=["marked_at"],
    )


@lru_cache(maxsize=4096)
def _agreement_id(agreement_uuid) -> int:
    """An agreement's row id by its UUID; the pair never changes, so it is kept per process."""
    return ReferralAgreement.objects.values_list("pk", flat=True).get(uuid=agreement_uuid)


def _deliver_referral(message: OutboxMessage) -> bool:
    referral = Referral.objects.get(uuid=message.referral_uuid)
    agencies = {
        agency.uuid: agency
        for agency in Agency.objects.select_related("ngo").filter(
            uuid__in=[referral.from_agency_uuid, referral.to_agency_uuid]
        )
    }
    sender, receiver = agencies[referral.from_agency_uuid], agencies[referral.to_agency_uuid]
    deliverable = bridge.ngo_accepts_delivery(receiver.ngo)
    now = timezone.now()
    envelope = ReferralEnvelope.objects.filter(referral_uuid=referral.uuid).first()
    inbox_written = envelope is not None and envelope.delivered_at is not None
    if envelope is None:
        if not receiver.public_key:
            raise NotDeliverableYet(f"{receiver.name} has no public key yet")
        # A concurrent delivery of the same referral is serialised by the outbox row lock; the
        # unique referral_uuid is the last guard.
        ReferralEnvelope.objects.create(
            referral_uuid=referral.uuid,
            consortium_id=sender.consortium_id,
            from_agency=sender,
            to_agency=receiver,
            agreement_id=_agreement_id(referral.agreement_uuid),
            service_type=referral.service_type,
            urgency=referral.urgency,
            sent_at=referral.sent_at,
            due_on=referral.response_due_on,
            state=ReferralState.SENT,
            state_changed_at=referral.sent_at,
            key_id=receiver.key_id,
            sealed_payload=sealing.seal(receiver.public_key, referral.shared_data),
            delivered_at=now if deliverable else None,
        )
    elif deliverable and envelope.delivered_at is None:
        envelope.delivered_at = now
        envelope.save(update_fields=["delivered_at"])
    if not bridge.ngo_accepts_delivery(receiver.ngo):  # (as `deliverable`; narrows the type)
        return False  # the envelope waits; the receiver's inbox gets it once it is active
    if not inbox_written:
        bridge.inbox_deliver(
            ngo=receiver.ngo,
            referral_uuid=referral.uuid,
            # The inbox row is written in the transaction that sets the envelope's
            # delivered_at, so an envelope created just now has no inbox row yet.
            new=envelope is None,
            values={
                "from_agency_uuid": sender.uuid,
                "to_agency_uuid": receiver.uuid,
                "agreement_uuid": referral.agreement_uuid,
                "counterpart_name": sender.name,
                "service_type": referral.service_type,
                "urgency": referral.urgency,
                "shared_fields": list(referral.shared_fields),
                "sent_at": referral.sent_at,
                "state_changed_at": referral.sent_at,
                "response_due_on": referral.response_due_on,
                "consent_on": referral.consent_on,
                "consent_scope": list(referral.consent_scope),
            },
        )
    return True


def _deliver_state(message: OutboxMessage) -> bool:
    referral = Referral.objects.get(uuid=message.referral_uuid)
    counterpart_uuid = (
        referral.to_agency_uuid
        if referral.direction == Referral.Direction.OUTGOING
        else referral.from_agency_uuid
    )
    counterpart = Agency.objects.select_related("ngo").get(uuid=counterpart_uuid)
    if not bridge.ngo_accepts_delivery(counterpart.ngo):
        return False
    bridge.state_apply(ngo=counterpart.ngo, referral_uuid=referral.uuid, event=message.body)
    return True


HANDLERS = {
    OutboxMessage.Kind.REFERRAL: _deliver_referral,
    OutboxMessage.Kind.STATE: _deliver_state,
}


def _locked(message_uuid) -> OutboxMessage | None:
    return (
        OutboxMessage.objects.select_for_update(skip_locked=True).filter(uuid=message_uuid).first()
    )


def outbox_deliver(*, message_uuid) -> bool:
    """Deliver one outbox message and, first, any earlier one of the same referral (order
    matters: a referral before its state changes). True when it is delivered (now or before)."""
    with transaction.atomic():
        message = _locked(message_uuid)
        if message is None:
            return False  # another delivery holds it, or it does not exist
        if message.delivered_at is not None:
            return True
        # A referral's first message is the referral itself: only state changes can have an
        # earlier message still waiting.
        earlier = (
            message.kind != OutboxMessage.Kind.REFERRAL
            and OutboxMessage.objects.filter(
                referral_uuid=message.referral_uuid,
                delivered_at__isnull=True,
                created_at__lt=message.created_at,
            ).exists()
        )
        if not earlier:
            return _deliver_locked(message)
    outbox_drain(referral_uuid=message.referral_uuid)
    return OutboxMessage.objects.filter(uuid=message_uuid, delivered_at__isnull=False).exists()


def _deliver_locked(message: OutboxMessage) -> bool:
    """Deliver `message`, locked by the caller's open transaction, and mark it."""
    message.attempts += 1
    try:
        done = HANDLERS[OutboxMessage.Kind(message.kind)](message)
    except NotDeliverableYet as reason:
        done, message.last_error = False, str(reason)[:500]
    if not done:
        message.last_error = message.last_error or "the other side is not active"
        message.save(update_fields=["attempts", "last_error"])
        return False
    message.delivered_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["attempts", "delivered_at", "last_error"])
    return True


def _deliver_one(message_uuid) -> bool:
    with transaction.atomic():
        message = _locked(message_uuid)
        if message is None:
            return OutboxMessage.objects.filter(
                uuid=message_uuid, delivered_at__isnull=False
            ).exists()
        if message.delivered_at is not None:
            return True
        return _deliver_locked(message)


def outbox_drain(*, referral_uuid=None, limit: int = 500) -> int:
    """Deliver pending messages of this schema's outbox in order (all, or one referral's);
    stops a referral's chain at the first message that cannot go yet. Returns how many went."""
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("created_at", "id")
    if referral_uuid is not None:
        pending = pending.filter(referral_uuid=referral_uuid)
    delivered = 0
    blocked: set = set()
    for message_uuid, message_referral in pending.values_list("uuid", "referral_uuid")[:limit]:
        if message_referral in blocked:
            continue
        try:
            if _deliver_one(message_uuid):
                delivered += 1
            else:
                blocked.add(message_referral)
        except Exception:
            logger.exception("referral outbox message %s failed", message_uuid)
            blocked.add(message_referral)
    return delivered


def outbox_has_pending() -> bool:
    """Is anything of this schema's outbox still undelivered?"""
    return OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
