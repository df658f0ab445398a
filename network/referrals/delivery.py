"""Draining an NGO's referral outbox (runs in the sender's schema: the on-commit task and the
sweep). One transaction per message: the envelope, the other side's rows and the outbox mark
commit together, so a killed worker or a repeated task delivers exactly once."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from network import bridge, sealing
from network.models import Agency, ReferralAgreement, ReferralEnvelope, ReferralState
from network.referrals.models import OutboxMessage, Referral

logger = logging.getLogger(__name__)


class NotDeliverableYet(Exception):
    """The other side cannot take the message now (suspended, no key yet); it stays queued."""


def _envelope_for(referral: Referral, sender: Agency, receiver: Agency) -> ReferralEnvelope:
    envelope = ReferralEnvelope.objects.filter(referral_uuid=referral.uuid).first()
    if envelope is not None:
        return envelope
    if not receiver.public_key:
        raise NotDeliverableYet(f"{receiver.name} has no public key yet")
    agreement = ReferralAgreement.objects.get(uuid=referral.agreement_uuid)
    envelope = ReferralEnvelope(
        referral_uuid=referral.uuid,
        consortium_id=sender.consortium_id,
        from_agency=sender,
        to_agency=receiver,
        agreement=agreement,
        service_type=referral.service_type,
        urgency=referral.urgency,
        sent_at=referral.sent_at,
        due_on=referral.response_due_on,
        state=ReferralState.SENT,
        state_changed_at=referral.sent_at,
        key_id=receiver.key_id,
        sealed_payload=sealing.seal(receiver.public_key, referral.shared_data),
    )
    # A concurrent delivery of the same referral is serialised by the outbox row lock; the
    # unique referral_uuid is the last guard.
    envelope.save()
    return envelope


def _deliver_referral(message: OutboxMessage) -> bool:
    referral = Referral.objects.get(uuid=message.referral_uuid)
    sender = Agency.objects.get(uuid=referral.from_agency_uuid)
    receiver = Agency.objects.select_related("ngo").get(uuid=referral.to_agency_uuid)
    envelope = _envelope_for(referral, sender, receiver)
    if not bridge.ngo_accepts_delivery(receiver.ngo):
        return False  # the envelope waits; the receiver's inbox gets it once it is active
    bridge.inbox_deliver(
        ngo=receiver.ngo,
        referral_uuid=referral.uuid,
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
    if envelope.delivered_at is None:
        envelope.delivered_at = timezone.now()
        envelope.save(update_fields=["delivered_at"])
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


def outbox_deliver(*, message_uuid) -> bool:
    """Deliver one outbox message and, first, any earlier one of the same referral (order
    matters: a referral before its state changes). True when it is delivered (now or before)."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(uuid=message_uuid)
            .first()
        )
        if message is None:
            return False  # another delivery holds it, or it does not exist
        if message.delivered_at is not None:
            return True
        earlier = OutboxMessage.objects.filter(
            referral_uuid=message.referral_uuid,
            delivered_at__isnull=True,
            created_at__lt=message.created_at,
        ).exists()
    if earlier:
        outbox_drain(referral_uuid=message.referral_uuid)
        return OutboxMessage.objects.filter(uuid=message_uuid, delivered_at__isnull=False).exists()
    return _deliver_one(message_uuid)


def _deliver_one(message_uuid) -> bool:
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(uuid=message_uuid, delivered_at__isnull=True)
            .first()
        )
        if message is None:
            return OutboxMessage.objects.filter(
                uuid=message_uuid, delivered_at__isnull=False
            ).exists()
        message.attempts += 1
        try:
            with transaction.atomic():
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
