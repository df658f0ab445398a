"""Draining an NGO's referral outbox (runs in the sender's schema: the on-commit task and the
sweep). The envelopes, the other side's rows and the outbox marks of a delivery commit together,
so a killed worker or a repeated task delivers exactly once.

Every statement counts here (each also costs django-tenants a `SET search_path`): new referrals
go in batches of up to BATCH_SIZE in one transaction whose statements do not grow with the
batch (a few per receiving NGO); state changes go one by one, in order after their referral.
bench/referrals.py prints the statements and CPU per delivery.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.db import IntegrityError, transaction
from django.db.models import F
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
from tenants.models import NGO

logger = logging.getLogger(__name__)

# New referrals delivered in one transaction by a task or the sweep.
BATCH_SIZE = 50


# While a schema's delivery task is queued and not started, its key is set (in the cache's
# Redis, named by schema explicitly: the cache's own keys take the connection's schema, which
# at commit time may be another one). It expires by itself if the task is lost.
TASK_QUEUED_KEY = "terpadu:referral-delivery-queued:{schema}"
TASK_QUEUED_SECONDS = 30


@lru_cache(maxsize=1)
def _flags():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(
        settings.CACHES["default"]["LOCATION"], socket_timeout=2, socket_connect_timeout=2
    )


def delivery_task_claim(schema: str) -> bool:
    """True when no delivery task of `schema` is queued: the caller queues one (and the key
    says so until the task starts). Raises when Redis is unreachable (the sweep delivers)."""
    return bool(
        _flags().set(TASK_QUEUED_KEY.format(schema=schema), 1, nx=True, ex=TASK_QUEUED_SECONDS)
    )


def delivery_task_release(schema: str) -> None:
    """No delivery task of `schema` is queued any more (it started, or queuing it failed):
    what commits from now on queues a new one."""
    try:
        _flags().delete(TASK_QUEUED_KEY.format(schema=schema))
    except Exception:  # noqa: BLE001 - Redis gone: the key expires by itself
        logger.warning("could not clear the delivery-queued key of %s", schema)


def delivery_task_started() -> None:
    """The task of this schema started. Called before the task reads the outbox, so a message
    is either seen by it or queues a task of its own."""
    delivery_task_release(connection.schema_name)


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


def _deliver_referrals(messages: list[OutboxMessage]) -> dict:
    """Deliver new referrals, their outbox rows locked by the caller's open transaction: each
    sealed into its envelope and written into the receiver's inbox, in a fixed number of
    statements per batch (plus a few per receiving NGO), not per referral. Marks nothing:
    returns {message uuid: delivered}; a message whose receiver cannot take it yet has
    `last_error` set."""
    referrals = {
        referral.uuid: referral
        for referral in Referral.objects.filter(
            uuid__in=[message.referral_uuid for message in messages]
        )
    }
    agency_uuids = {
        agency_uuid
        for referral in referrals.values()
        for agency_uuid in (referral.from_agency_uuid, referral.to_agency_uuid)
    }
    agencies = {
        agency.uuid: agency
        for agency in Agency.objects.select_related("ngo").filter(uuid__in=agency_uuids)
    }
    envelopes = {
        envelope.referral_uuid: envelope
        for envelope in ReferralEnvelope.objects.filter(referral_uuid__in=list(referrals))
    }
    now = timezone.now()
    new_envelopes: list[ReferralEnvelope] = []
    now_delivered: list[ReferralEnvelope] = []
    inboxes: dict[int, tuple[NGO, list]] = {}
    result = {}
    for message in messages:
        referral = referrals[message.referral_uuid]
        sender = agencies[referral.from_agency_uuid]
        receiver = agencies[referral.to_agency_uuid]
        envelope = envelopes.get(referral.uuid)
        deliverable = bridge.ngo_accepts_delivery(receiver.ngo)
        inbox_written = envelope is not None and envelope.delivered_at is not None
        result[message.uuid] = False
        if envelope is None:
            if not receiver.public_key:
                message.last_error = f"{receiver.name} has no public key yet"
                continue
            # A concurrent delivery of the same referral is serialised by the outbox row
            # lock; the unique referral_uuid is the last guard.
            new_envelopes.append(
                ReferralEnvelope(
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
            )
        elif deliverable and envelope.delivered_at is None:
            envelope.delivered_at = now
            now_delivered.append(envelope)
        if not bridge.ngo_accepts_delivery(receiver.ngo):  # (as `deliverable`; narrows the type)
            message.last_error = "the other side is not active"
            continue  # the envelope waits; the receiver's inbox gets it once it is active
        result[message.uuid] = True
        if inbox_written:
            continue
        inboxes.setdefault(receiver.ngo.pk, (receiver.ngo, []))[1].append(
            (
                referral.uuid,
                # The inbox row is written in the transaction that sets the envelope's
                # delivered_at, so an envelope created just now has no inbox row yet.
                envelope is None,
                {
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
        )
    ReferralEnvelope.objects.bulk_create(new_envelopes)
    if now_delivered:
        ReferralEnvelope.objects.bulk_update(now_delivered, ["delivered_at"])
    for ngo, items in inboxes.values():
        bridge.inbox_deliver_many(ngo=ngo, items=items)
    return result


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
    OutboxMessage.Kind.REFERRAL: _deliver_referrals,
    OutboxMessage.Kind.STATE: lambda messages: {
        message.uuid: _deliver_state(message) for message in messages
    },
}


def _locked(message_uuid) -> OutboxMessage | None:
    return (
        OutboxMessage.objects.select_for_update(skip_locked=True).filter(uuid=message_uuid).first()
    )


def outbox_deliver(*, message_uuid) -> bool:
    """Deliver one outbox message and, first, any earlier one of the same referral (order
    matters: a referral before its state changes). True when it is delivered (now or before).

    A new referral goes with the others waiting in this schema's outbox, in one batch: under
    load the on-commit tasks queue up behind each other, and the first one delivers for those
    behind it, which then find their message delivered in one look-up."""
    row = OutboxMessage.objects.filter(uuid=message_uuid).values_list("kind", "delivered_at")
    kind, delivered_at = row.first() or (None, None)
    if kind is None:
        return False  # it does not exist
    if delivered_at is not None:
        return True
    if kind == OutboxMessage.Kind.REFERRAL:
        batch = outbox_deliver_batch(include=message_uuid)
        return any(str(uuid) == str(message_uuid) and done for uuid, done in batch.items())
    with transaction.atomic():
        message = _locked(message_uuid)
        if message is None:
            return False  # another delivery holds it
        if message.delivered_at is not None:
            return True
        # A referral's first message is the referral itself: only state changes can have an
        # earlier message still waiting.
        earlier = OutboxMessage.objects.filter(
            referral_uuid=message.referral_uuid,
            delivered_at__isnull=True,
            created_at__lt=message.created_at,
        ).exists()
        if not earlier:
            return _deliver_locked(message)
    outbox_drain(referral_uuid=message.referral_uuid)
    return OutboxMessage.objects.filter(uuid=message_uuid, delivered_at__isnull=False).exists()


def _deliver_locked(message: OutboxMessage) -> bool:
    """Deliver `message`, locked by the caller's open transaction, and mark it."""
    return _mark([message], HANDLERS[OutboxMessage.Kind(message.kind)]([message]))[message.uuid]


def _mark(messages: list[OutboxMessage], result: dict) -> dict:
    """Record each attempt: delivered ones get `delivered_at` (one UPDATE for all), the others
    their attempt count and why they wait."""
    now = timezone.now()
    delivered = [message.pk for message in messages if result[message.uuid]]
    if delivered:
        OutboxMessage.objects.filter(pk__in=delivered).update(
            delivered_at=now, last_error="", attempts=F("attempts") + 1
        )
    for message in messages:
        if result[message.uuid]:
            message.delivered_at, message.last_error = now, ""
            message.attempts += 1
            continue
        message.attempts += 1
        message.last_error = (message.last_error or "the other side is not active")[:500]
        message.save(update_fields=["attempts", "last_error"])
    return result


def outbox_deliver_batch(*, include=None, exclude=(), size: int = BATCH_SIZE) -> dict:
    """Deliver up to `size` of this schema's waiting new referrals (oldest first, skipping rows
    another delivery holds) in one transaction; `include` a message that must be among them if
    it is free. Returns {message uuid: delivered} of the messages it took."""
    with transaction.atomic():
        waiting = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            delivered_at__isnull=True, kind=OutboxMessage.Kind.REFERRAL
        )
        messages = list(waiting.exclude(uuid__in=list(exclude)).order_by("created_at", "id")[:size])
        if include is not None and all(str(message.uuid) != str(include) for message in messages):
            messages += list(waiting.filter(uuid=include))
        if not messages:
            return {}
        try:
            with transaction.atomic():  # a savepoint: on any failure, one by one below
                return _mark(messages, _deliver_referrals(messages))
        except IntegrityError as clash:
            logger.warning("a referral batch clashed with another delivery (%s); one by one", clash)
        except Exception:
            logger.exception("a referral batch failed; delivering its messages one by one")
    # Alone, each message succeeds or fails by itself (one broken message blocks nothing else).
    result = {}
    for message in messages:
        try:
            result[message.uuid] = _deliver_one(message.uuid)
        except Exception:
            logger.exception("referral outbox message %s failed", message.uuid)
            result[message.uuid] = False
    return result


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
    """Deliver pending messages of this schema's outbox in order (all, or one referral's):
    new referrals first, in batches, then state changes one by one; a referral's chain stops
    at the first message that cannot go yet. Returns how many went."""
    delivered = 0
    blocked: set = set()
    if referral_uuid is None:
        taken: list = []
        while len(taken) < limit:
            batch = outbox_deliver_batch(exclude=taken, size=min(BATCH_SIZE, limit - len(taken)))
            if not batch:
                break
            delivered += sum(batch.values())
            taken += list(batch)
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("created_at", "id")
    if referral_uuid is not None:
        pending = pending.filter(referral_uuid=referral_uuid)
    for message_uuid, message_referral, kind in pending.values_list(
        "uuid", "referral_uuid", "kind"
    )[:limit]:
        if message_referral in blocked:
            continue
        if kind == OutboxMessage.Kind.REFERRAL and referral_uuid is None:
            blocked.add(message_referral)  # tried in a batch above and still waiting
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
